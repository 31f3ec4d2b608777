"""The backups a target holds: only those with a manifest count; pruning keeps that true."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from eslamed.backup.manifest import (
    BACKUPS_PREFIX,
    BackupRefused,
    Manifest,
    backup_id_of,
    manifest_key,
)
from eslamed.backup.targets import Target

ID_FORMAT = "%Y%m%dT%H%M%SZ"


def new_backup_id(now: datetime) -> str:
    return now.strftime(ID_FORMAT)


def taken_at(backup_id: str) -> datetime:
    return datetime.strptime(backup_id, ID_FORMAT).replace(tzinfo=UTC)


def backup_ids(target: Target) -> list[str]:
    """Complete backups, oldest first."""
    ids = (backup_id_of(k) for k in target.list(BACKUPS_PREFIX))
    return sorted(i for i in ids if i)


def resolve(target: Target, name: str) -> str:
    ids = backup_ids(target)
    if name == "latest":
        if not ids:
            raise BackupRefused(f"{target.describe()} holds no complete backup")
        return ids[-1]
    if name not in ids:
        partial = any(k.startswith(f"{BACKUPS_PREFIX}{name}/") for k in target.list(BACKUPS_PREFIX))
        reason = "is partial (its manifest was never written)" if partial else "does not exist"
        raise BackupRefused(f"backup {name} in {target.describe()} {reason}; complete backups: {ids}")
    return name


def load_manifest(target: Target, backup_id: str, workdir: Path) -> Manifest:
    local = workdir / f"manifest-{backup_id}.json"
    if not target.get_file(manifest_key(backup_id), local):
        raise BackupRefused(f"backup {backup_id} has no manifest in {target.describe()}")
    return Manifest.from_json(local.read_bytes(), f"backup {backup_id}")


def prune(target: Target, keep_ids: set[str], workdir: Path) -> list[str]:
    """Delete backups not kept (manifest first, so none is ever left naming missing files),
    leftovers of interrupted runs, and day objects no kept manifest refers to."""
    all_keys = target.list(BACKUPS_PREFIX)
    referenced: set[str] = set()
    for backup_id in keep_ids:
        referenced.update(f.key for f in load_manifest(target, backup_id, workdir).files)
    doomed_manifests = [k for k in all_keys if backup_id_of(k) and backup_id_of(k) not in keep_ids]
    target.delete(doomed_manifests)
    doomed = [
        k
        for k in all_keys
        if k.split("/")[1] not in keep_ids and k not in doomed_manifests and k not in referenced
    ]
    doomed += [k for k in target.list("events/") if k not in referenced]
    target.delete(doomed)
    return doomed_manifests + doomed
