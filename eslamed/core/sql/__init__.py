"""Every SQL query the application runs, grouped by the table it serves.

`{db}` is replaced with the configured database name; values travel as driver parameters.
"""
