"""Pure parts of backup: retention, the row codec, the manifest, the cluster DDL."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from eslamed.backup.manifest import BackupRefused, FileEntry, Manifest
from eslamed.backup.retention import keep
from eslamed.backup.rows import checksum_expression, encode_row, row_decoder
from eslamed.cli import build_parser
from eslamed.core import schema


def test_retention_keeps_7_daily_4_weekly_12_monthly() -> None:
    start = datetime(2025, 1, 1, 3, 17, tzinfo=UTC)
    backups = {f"b{n:04d}": start + timedelta(days=n) for n in range(500)}
    kept = keep(backups)
    newest = max(backups.values())
    days = sorted({backups[b].date() for b in kept}, reverse=True)
    assert days[:7] == [newest.date() - timedelta(days=n) for n in range(7)]
    assert len({tuple(backups[b].isocalendar()[:2]) for b in kept}) >= 4
    months = {(backups[b].year, backups[b].month) for b in kept}
    assert len(months) == 12
    assert len(kept) <= 7 + 4 + 12


def test_retention_keeps_the_newest_of_each_day_and_everything_when_few() -> None:
    day = datetime(2026, 11, 20, tzinfo=UTC)
    backups = {"early": day.replace(hour=1), "late": day.replace(hour=23), "prev": day - timedelta(days=1)}
    assert keep(backups, daily=7, weekly=0, monthly=0) == {"late", "prev"}
    assert keep({}, 7, 4, 12) == set()


def test_row_codec_round_trips_every_type_we_store() -> None:
    types = ["UUID", "DateTime", "Date", "Decimal(18, 2)", "Array(String)", "Nullable(String)", "UInt64"]
    row = [
        uuid.uuid4(),
        datetime(2026, 11, 20, 14, 5, 9),
        date(2026, 11, 20),
        Decimal("12345.60"),
        ["İstanbul", "ğüşöç"],
        None,
        2**63 + 5,
    ]
    assert row_decoder(types)(encode_row(row)) == row


def test_checksum_expression_hashes_uuid_as_text_and_decimal_as_its_smallest_unit() -> None:
    expr = checksum_expression([("id", "UUID"), ("revenue", "Decimal(18, 2)"), ("ts", "DateTime")])
    assert expr == "toString(id), toInt64(revenue * 100), ts"


def test_manifest_round_trip_and_damaged_manifest_refused() -> None:
    manifest = Manifest(
        "20261120T031700Z",
        "2026-11-20T03:17:00+00:00",
        "eslamed",
        1,
        "18.16.1",
        {"events": [["event_id", "UUID"]]},
        [FileEntry("events/2026-11-19/ab.jsonl.gz.age", "events", 5, "ab" * 32, 99, "2026-11-19", "age1x")],
    )
    raw = manifest.to_json()
    assert Manifest.from_json(raw, "x") == manifest
    assert b'"tables": {\n  "events": 5' in raw
    with pytest.raises(BackupRefused, match="manifest is unreadable"):
        Manifest.from_json(raw[: len(raw) // 2], "backup 20261120T031700Z")


def test_cli_has_backup_restore_and_migrate_cluster() -> None:
    parser = build_parser()
    assert parser.parse_args(["migrate", "--cluster", "eslamed"]).cluster == "eslamed"
    assert parser.parse_args(["migrate"]).cluster is None
    args = parser.parse_args(["restore", "latest", "--target", "s3://b/p"])
    assert (args.backup, args.target, args.identity) == ("latest", "s3://b/p", None)
    assert parser.parse_args(["restore", "latest", "--identity", "k.txt"]).identity == "k.txt"
    assert parser.parse_args(["backup"]).target is None


def columns_of(ddl: str) -> list[str]:
    body = ddl[ddl.index("(") + 1 : ddl.index(") ENGINE")]
    return [line.strip() for line in body.strip().splitlines()]


def test_cluster_ddl_is_derived_from_the_single_schema() -> None:
    statements = schema.cluster_statements("eslamed", "prod")
    assert statements[0] == "CREATE DATABASE IF NOT EXISTS eslamed ON CLUSTER prod"
    plain = {re.search(r"eslamed\.(\w+) \(", s).group(1): s for s in schema.statements("eslamed")[1:]}
    for table, ddl in plain.items():
        local = next(s for s in statements if f"eslamed.{table}_local ON CLUSTER prod (" in s)
        assert columns_of(local) == columns_of(ddl)
        assert f"'/clickhouse/tables/{{shard}}/eslamed/{table}', '{{replica}}'" in local
        engine = re.search(r"ENGINE = (\w*MergeTree)\(", ddl).group(1)
        assert f"ENGINE = Replicated{engine}(" in local
        dist = next(s for s in statements if f"eslamed.{table} ON CLUSTER prod AS" in s)
        assert f"Distributed(prod, eslamed, {table}_local, cityHash64(toString(" in dist
    assert "'{replica}', version)" in next(s for s in statements if "leads_local" in s)
