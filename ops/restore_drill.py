#!/usr/bin/env python3
"""Restore drill: prove that a backup comes back whole, and how long that takes.

Starts a scratch ClickHouse (Debian's clickhouse-server) and a local S3-compatible server
(moto) on 127.0.0.1, makes a throwaway age key pair, creates data, runs `eslamed backup`
(encrypted to the public key) to the bucket, wipes the database, runs `eslamed restore latest`
with the private key, compares row counts and a content checksum per table, and
projects the restore time (RTO) for one year of the seed's volume.

    .venv/bin/python ops/restore_drill.py                 # ~120k events, about a minute
    .venv/bin/python ops/restore_drill.py --days 3 --events-per-day 300 --leads 20   # quick
A small run mostly measures fixed costs; the projection is meaningful from ~100k rows on.
Exit status 0 only when every table matches and the projection is under the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moto.server import ThreadedMotoServer

from eslamed.backup.crypto import new_key_pair, private_file
from eslamed.backup.export import run_backup
from eslamed.backup.restore import run_restore
from eslamed.backup.targets import open_target, s3_client
from eslamed.backup.verify import table_checksums
from eslamed.core.config import load_integrations, parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse, free_port
from eslamed.devtools.sample_data import insert_events, insert_leads_and_sales

BUCKET = "eslamed-drill"


def quiet(_line: str) -> None:
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--events-per-day", type=int, default=4000)
    parser.add_argument("--leads", type=int, default=400)
    parser.add_argument(
        "--year-events", type=int, default=3_000_000, help="assumed events in one year (about 8,200 a day)"
    )
    parser.add_argument("--year-leads", type=int, default=5_000, help="assumed leads in one year")
    parser.add_argument("--rto-target-min", type=float, default=30.0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="eslamed-drill-") as tmp:
        clickhouse = LocalClickHouse(Path(tmp) / "clickhouse")
        clickhouse.start()
        s3_port = free_port()
        s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
        s3.start()
        try:
            return drill(args, clickhouse, f"http://127.0.0.1:{s3_port}", Path(tmp))
        finally:
            s3.stop()
            clickhouse.stop()


def drill(args: argparse.Namespace, clickhouse: LocalClickHouse, endpoint: str, tmp: Path) -> int:
    backup_settings = load_integrations(
        {
            "S3_ENDPOINT_URL": endpoint,
            "S3_ACCESS_KEY_ID": "drill",
            "S3_SECRET_ACCESS_KEY": "drill",
            "S3_REGION": "us-east-1",
        }
    ).backup
    s3_client(backup_settings.s3).create_bucket(Bucket=BUCKET)
    identity, recipient = new_key_pair()
    identity_file = tmp / "drill-identity.txt"
    with private_file(identity_file) as fh:
        fh.write(f"{identity}\n".encode())
    target = open_target(f"s3://{BUCKET}/drill", backup_settings)
    store = Store(parse_clickhouse_url(f"{clickhouse.url}/drill"), timeout_s=60.0)
    store.migrate()

    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(args.days, 0, -1)]
    print(
        f"seeding {args.days} days x {args.events_per_day:,} events and {args.leads:,} leads ...", flush=True
    )
    insert_events(store, days, args.events_per_day)
    insert_leads_and_sales(store, args.leads, datetime.combine(days[0], datetime.min.time()))
    before = table_checksums(store)

    started = time.monotonic()
    backup = run_backup(store, target, recipient, progress=quiet)
    backup_s = time.monotonic() - started
    size = sum(f.size for f in backup.manifest.files)

    store.query("DROP DATABASE drill")
    print("database dropped; restoring the latest backup ...", flush=True)
    restored = run_restore(store, target, "latest", progress=quiet, identity=identity_file)
    after = table_checksums(store)

    print(f"\n{'table':<20}{'rows before':>12}{'rows after':>12}  checksum")
    matches = True
    for table, (rows, digest) in before.items():
        same = after[table] == (rows, digest)
        matches &= same
        print(f"{table:<20}{rows:>12,}{after[table][0]:>12,}  {'identical' if same else 'DIFFERENT'}")

    rows_restored = sum(restored.rows.values())
    rate = rows_restored / restored.seconds
    year_rows = args.year_events + args.year_leads * 2 + args.year_leads // 4
    projected_s = year_rows / rate
    print(
        f"\nbackup: {backup_s:.1f} s, {len(backup.manifest.files)} files, {size / 1e6:.1f} MB compressed,"
        " age-encrypted"
        f"\nrestore: {rows_restored:,} rows in {restored.seconds:.1f} s ({rate:,.0f} rows/s,"
        " download + sha256 check + decrypt + insert)"
        f"\nprojected RTO for one year ({args.year_events:,} events, {args.year_leads:,} leads):"
        f" {projected_s / 60:.1f} min (target < {args.rto_target_min:g} min)"
    )
    ok = matches and projected_s < args.rto_target_min * 60
    print("drill PASSED" if ok else "drill FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
