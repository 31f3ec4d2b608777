"""Local stand-ins for production services, for the run command and the tests."""
