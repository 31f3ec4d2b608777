"""`eslamed backup`: export tables to gzip'd JSON lines, encrypt, upload them, then the manifest.

leads, their history and notes, conversions and the other small tables go in full every
night; events go one object per day, and a day already in the target with the same row count
is not exported again, so a nightly run uploads only the new day(s). Files are encrypted to the age
recipient (BACKUP_RECIPIENT); the manifest stays readable (keys, row counts, sha256 of the
stored bytes, column types: no personal data) so the next run can reuse days and prune.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eslamed.backup import catalog, crypto, retention
from eslamed.backup.manifest import (
    BACKUPS_PREFIX,
    FileEntry,
    Manifest,
    manifest_key,
    sha256_file,
    signature_key,
)
from eslamed.backup.rows import encode_row
from eslamed.backup.targets import Target
from eslamed.core import schema
from eslamed.core.clock import utc_now
from eslamed.core.sql import backup as sql
from eslamed.core.store import Store

# Every table that holds something only the owner or a visitor made; the stats caches are left
# out because they are rebuilt from events.
FULL_TABLES = (
    "leads",
    "lead_changes",
    "conversions",
    "notifications",
    "push_subscriptions",
    "lead_refs",
    "inbound",
    "ad_costs",
    "ad_clicks",
    "erasures",
    "privacy_log",
)
PROGRESS_EVERY_ROWS = 50_000
Progress = Callable[[str], None]


@dataclass
class BackupResult:
    manifest: Manifest
    uploaded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def table_columns(store: Store, table: str) -> list[tuple[str, str]]:
    rows = store.query(sql.DESCRIBE.format(db=store.database, table=table))
    return [(r[0], r[1]) for r in rows]


def export_rows(
    store: Store, query: str, params: dict[str, Any], path: Path, label: str, progress: Progress
) -> int:
    rows = 0
    # mtime=0: the same rows give the same bytes, so the same content-addressed name.
    with (
        store.connection() as client,
        crypto.private_file(path) as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out,
    ):
        for row in client.execute_iter(query, params, settings={"max_block_size": 10_000}):
            out.write(encode_row(row))
            rows += 1
            if rows % PROGRESS_EVERY_ROWS == 0:
                progress(f"{label}: {rows:,} rows")
    progress(f"{label}: {rows:,} rows exported")
    return rows


@dataclass
class Exporter:
    """Export one query to a local gzip file, upload it, and describe it for the manifest."""

    store: Store
    target: Target
    workdir: Path
    progress: Progress
    recipient: str | None

    def file(
        self,
        table: str,
        query: str,
        params: dict[str, Any],
        key_for: Callable[[str], str],
        day: str | None = None,
    ) -> FileEntry:
        local = self.workdir / f"{table}-{day or 'full'}.jsonl.gz"
        rows = export_rows(self.store, query, params, local, f"{table} {day or ''}".strip(), self.progress)
        stored = local
        if self.recipient:
            stored = local.with_name(local.name + crypto.SUFFIX)
            crypto.encrypt(local, stored, self.recipient)
            local.unlink()
        digest = sha256_file(stored)
        key = key_for(digest) + (crypto.SUFFIX if self.recipient else "")
        self.target.put_file(key, stored)
        entry = FileEntry(
            key=key,
            table=table,
            rows=rows,
            sha256=digest,
            size=stored.stat().st_size,
            day=day,
            recipient=self.recipient,
        )
        stored.unlink()
        return entry


def run_backup(
    store: Store,
    target: Target,
    recipient: str | None,
    now: datetime | None = None,
    progress: Progress = print,
    keep: tuple[int, int, int] = (7, 4, 12),
    signing_key: str = "",
) -> BackupResult:
    """Back up to `target`, encrypted to the age `recipient` (None: plaintext, by explicit choice), the
    manifest signed with `signing_key` (BACKUP_SIGNING_KEY)."""
    if recipient:
        crypto.recipient_of(recipient)
    now = now or utc_now().replace(tzinfo=UTC)
    backup_id = catalog.new_backup_id(now)
    db = store.database
    with tempfile.TemporaryDirectory(prefix="eslamed-backup-") as tmp:
        workdir = Path(tmp)
        previous_ids = catalog.backup_ids(target)
        previous = catalog.load_manifest(target, previous_ids[-1], workdir) if previous_ids else None
        # Reuse a day only if its object is really there (a manifest must never name a missing
        # file) and is sealed for the same recipient (a new key, or turning encryption on, re-exports).
        present = set(target.list("events/"))
        known_days = {
            d: f
            for d, f in (previous.event_days() if previous else {}).items()
            if f.key in present and f.recipient == recipient
        }
        tables = (*FULL_TABLES, "events")
        manifest = Manifest(
            backup_id=backup_id,
            created_at=now.isoformat(),
            database=db,
            schema_version=schema.SCHEMA_VERSION,
            clickhouse_version=store.query(sql.VERSION)[0][0],
            columns={t: [list(c) for c in table_columns(store, t)] for t in tables},
        )
        result = BackupResult(manifest)
        sealed = f"encrypted to {recipient[:16]}…" if recipient else "NOT encrypted (BACKUP_PLAINTEXT=1)"
        progress(f"backup {backup_id} of {db} to {target.describe()}, {sealed}")
        exporter = Exporter(store, target, workdir, progress, recipient)
        for table in FULL_TABLES:
            columns = ", ".join(c[0] for c in manifest.columns[table])
            query = sql.FULL_TABLE.format(db=db, table=table, columns=columns)
            entry = exporter.file(
                table, query, {}, lambda _d, t=table: f"{BACKUPS_PREFIX}{backup_id}/{t}.jsonl.gz"
            )
            manifest.files.append(entry)
            result.uploaded.append(entry.key)
        event_columns = ", ".join(c[0] for c in manifest.columns["events"])
        for day, count in store.query(sql.EVENT_DAYS.format(db=db)):
            day_text = day.isoformat()
            known = known_days.get(day_text)
            if known is not None and known.rows == count:
                manifest.files.append(known)
                result.reused.append(known.key)
                continue
            entry = exporter.file(
                "events",
                sql.EVENTS_OF_DAY.format(db=db, columns=event_columns),
                {"day": day_text},
                lambda digest, d=day_text: f"events/{d}/{digest[:16]}.jsonl.gz",
                day=day_text,
            )
            manifest.files.append(entry)
            result.uploaded.append(entry.key)
        manifest_path = workdir / "manifest.json"
        with crypto.private_file(manifest_path) as fh:
            fh.write(manifest.to_json())
        if signing_key:  # before the manifest: a manifest in the target always has its signature there
            signature_path = workdir / "manifest.sig"
            with crypto.private_file(signature_path) as fh:
                fh.write(crypto.sign(manifest_path.read_bytes(), signing_key))
            target.put_file(signature_key(backup_id), signature_path)
            result.uploaded.append(signature_key(backup_id))
        else:
            progress(
                "the manifest is NOT signed (BACKUP_SIGNING_KEY is not set: see `eslamed backup-keygen`)"
            )
        target.put_file(manifest_key(backup_id), manifest_path)
        result.uploaded.append(manifest_key(backup_id))
        ids = catalog.backup_ids(target)
        kept = retention.keep({i: catalog.taken_at(i) for i in ids}, *keep)
        result.deleted = catalog.prune(target, kept, workdir)
    progress(
        f"backup {backup_id} complete: {len(result.uploaded)} objects uploaded, "
        f"{len(result.reused)} days unchanged, {len(result.deleted)} old objects deleted"
    )
    return result
