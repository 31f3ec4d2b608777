"""Backups of ClickHouse to a local directory or an S3-compatible bucket, and restores from them.

Layout inside a target:
    backups/<backup_id>/<table>.jsonl.gz     full tables (leads, conversions, ...)
    backups/<backup_id>/manifest.json        written last: a backup without it does not exist
    events/<day>/<sha256-prefix>.jsonl.gz    one object per day of events, shared by backups
"""
