"""Load tools: the /api/track benchmark (bench_track) and the pre-deploy locust run (runner)."""
