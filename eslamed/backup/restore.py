"""`eslamed restore`: load a backup into an empty ClickHouse.

Every file is downloaded and its sha256 checked against the manifest before the first
row is written; a missing manifest, a missing file or one wrong byte refuses the whole
restore with a message that says which. Encrypted files are then opened with the private
identity given at restore time (`--identity FILE` or BACKUP_IDENTITY_FILE); a missing or
wrong key refuses the restore before the database is touched.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from eslamed.backup import catalog, crypto
from eslamed.backup.export import Progress, table_columns
from eslamed.backup.manifest import BackupRefused, FileEntry, Manifest, sha256_file, signature_key
from eslamed.backup.rows import row_decoder
from eslamed.backup.targets import Target
from eslamed.core import schema
from eslamed.core.sql import backup as sql
from eslamed.core.store import Store

INSERT_BATCH_ROWS = 20_000


@dataclass
class RestoreResult:
    backup_id: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def check_signature(
    target: Target, backup_id: str, workdir: Path, identity: Path | None, allow_unsigned: bool
) -> None:
    """With an identity file that holds the manifest key, the manifest must carry the backup side's
    signature: a bucket writer can seal files to the public recipient, but cannot sign a manifest."""
    verify_key = crypto.manifest_key_in(identity) if identity is not None else None
    if verify_key is None or allow_unsigned:
        return
    signature = workdir / f"manifest-{backup_id}.sig"
    if not target.get_file(signature_key(backup_id), signature):
        raise BackupRefused(
            f"backup {backup_id}: its manifest is not signed (made before BACKUP_SIGNING_KEY, or not by your "
            "server): --allow-unsigned to restore it anyway"
        )
    manifest = (workdir / f"manifest-{backup_id}.json").read_bytes()
    if not crypto.signature_ok(manifest, signature.read_bytes(), verify_key):
        raise BackupRefused(
            f"backup {backup_id}: the manifest's signature does not match; it was changed after the backup"
        )


def check_sealing(manifest: Manifest, identity: Path | None, allow_plaintext: bool) -> None:
    """The bucket is not trusted (issue 27 H): a manifest is only a list of names, so an entry marked
    plaintext could carry rows someone else wrote. With a key, every file must be sealed to it; a
    plaintext file (an old backup) is read only when the owner says so."""
    plain = [f.key for f in manifest.files if not f.recipient]
    if not plain or allow_plaintext:
        return
    if identity is not None:
        raise BackupRefused(
            f"backup {manifest.backup_id}: {plain[0]} is not encrypted although a key was given; a file "
            "that was not sealed may have been put there by someone else (old plaintext backups: "
            "--allow-plaintext)"
        )
    raise BackupRefused(
        f"backup {manifest.backup_id} is not encrypted ({plain[0]}); restore it only if you know it is "
        "yours: --allow-plaintext"
    )


def fetch_and_verify(
    target: Target,
    manifest: Manifest,
    workdir: Path,
    progress: Progress,
    identity: Path | None = None,
    allow_plaintext: bool = False,
) -> list[Path]:
    check_sealing(manifest, identity, allow_plaintext)
    sealed_for = sorted({f.recipient for f in manifest.files if f.recipient})
    if sealed_for and identity is None:
        raise BackupRefused(
            f"backup {manifest.backup_id} is encrypted (to {sealed_for[0][:16]}…): give its private key "
            "with --identity FILE or BACKUP_IDENTITY_FILE"
        )
    identities = crypto.identities_in(identity) if sealed_for and identity else []
    paths = []
    for number, entry in enumerate(manifest.files, 1):
        local = workdir / f"{number:06d}.jsonl.gz"
        if not target.get_file(entry.key, local):
            raise BackupRefused(f"backup {manifest.backup_id} is partial: {entry.key} is missing")
        actual = sha256_file(local)
        if actual != entry.sha256:
            raise BackupRefused(
                f"backup {manifest.backup_id} is corrupt: {entry.key} has sha256 {actual[:16]}…, "
                f"the manifest says {entry.sha256[:16]}…"
            )
        if entry.recipient:
            opened = local.with_name(local.name + ".plain")
            what = f"backup {manifest.backup_id} {entry.key} (encrypted to {entry.recipient[:16]}…)"
            crypto.decrypt(local, opened, identities, what)
            local.unlink()
            local = opened
        paths.append(local)
    progress(f"verified {len(paths)} files of backup {manifest.backup_id}: all checksums match")
    return paths


def check_target_empty(store: Store, manifest: Manifest) -> None:
    # Through the `system` database: the target database may not exist yet.
    system = Store(replace(store.target, database="system"), timeout_s=store.timeout_s)
    for table in manifest.columns:
        exists = system.query(sql.TABLE_EXISTS, {"db": store.database, "table": table})[0][0]
        if exists and system.query(sql.ROW_COUNT.format(db=store.database, table=table))[0][0]:
            raise BackupRefused(
                f"{store.database}.{table} is not empty; restore only into an empty database "
                "(use a new CLICKHOUSE_URL database name or drop the old one first)"
            )
    system.close()


def check_columns(store: Store, manifest: Manifest) -> None:
    for table, columns in manifest.columns.items():
        present = dict(table_columns(store, table))
        for name, ch_type in columns:
            if present.get(name) != ch_type:
                raise BackupRefused(
                    f"{table}.{name} {ch_type} from the backup does not exist in this schema "
                    f"(found {present.get(name)!r})"
                )


def load_file(
    store: Store, entry: FileEntry, path: Path, columns: list[list[str]], progress: Progress
) -> int:
    names = ", ".join(c[0] for c in columns)
    insert = sql.INSERT.format(db=store.database, table=entry.table, columns=names)
    decode = row_decoder([c[1] for c in columns])
    rows = 0
    batch: list[list] = []
    with gzip.open(path, "rb") as fh, store.connection() as client:
        for line in fh:
            batch.append(decode(line))
            if len(batch) == INSERT_BATCH_ROWS:
                client.execute(insert, batch)
                rows += len(batch)
                batch = []
                progress(f"{entry.table} {entry.day or ''}: {rows:,}/{entry.rows:,} rows")
        if batch:
            client.execute(insert, batch)
            rows += len(batch)
    if rows != entry.rows:
        raise BackupRefused(f"{entry.key}: read {rows} rows, the manifest says {entry.rows}")
    return rows


def run_restore(
    store: Store,
    target: Target,
    name: str,
    progress: Progress = print,
    identity: Path | None = None,
    allow_plaintext: bool = False,
    allow_unsigned: bool = False,
) -> RestoreResult:
    started = time.monotonic()
    backup_id = catalog.resolve(target, name)
    with tempfile.TemporaryDirectory(prefix="eslamed-restore-") as tmp:
        workdir = Path(tmp)
        manifest = catalog.load_manifest(target, backup_id, workdir)
        check_signature(target, backup_id, workdir, identity, allow_unsigned)
        if manifest.schema_version > schema.SCHEMA_VERSION:
            raise BackupRefused(
                f"backup {backup_id} has schema version {manifest.schema_version}, this code knows "
                f"{schema.SCHEMA_VERSION}: restore with the release that made it"
            )
        paths = fetch_and_verify(target, manifest, workdir, progress, identity, allow_plaintext)
        check_target_empty(store, manifest)
        store.migrate()
        check_columns(store, manifest)
        result = RestoreResult(backup_id)
        for entry, path in zip(manifest.files, paths, strict=True):
            rows = load_file(store, entry, path, manifest.columns[entry.table], progress)
            result.rows[entry.table] = result.rows.get(entry.table, 0) + rows
    result.seconds = time.monotonic() - started
    progress(
        f"restored backup {backup_id} into {store.database}: "
        + ", ".join(f"{t} {n:,}" for t, n in sorted(result.rows.items()))
        + f" rows in {result.seconds:.1f} s"
    )
    return result
