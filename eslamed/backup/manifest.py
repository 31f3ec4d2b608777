"""The manifest: what a backup holds and how to check it.

It is uploaded after every file it names, so a manifest in a target always describes
files that were completely written; restore trusts nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1
BACKUPS_PREFIX = "backups/"
MANIFEST_NAME = "manifest.json"


class BackupRefused(Exception):
    """The backup is missing, partial, corrupt or does not fit this server; nothing was written."""


@dataclass(frozen=True)
class FileEntry:
    key: str
    table: str
    rows: int
    sha256: str
    size: int
    day: str | None = None
    recipient: str | None = None  # the age public key it is encrypted to; None: plaintext


@dataclass
class Manifest:
    backup_id: str
    created_at: str
    database: str
    schema_version: int
    clickhouse_version: str
    columns: dict[str, list[list[str]]]
    files: list[FileEntry] = field(default_factory=list)
    format: int = FORMAT

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files if f.table == table)

    def event_days(self) -> dict[str, FileEntry]:
        return {f.day: f for f in self.files if f.table == "events" and f.day}

    def to_json(self) -> bytes:
        body = asdict(self)
        body["tables"] = {t: self.rows(t) for t in self.columns}
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, origin: str) -> Manifest:
        try:
            body = json.loads(raw)
            body.pop("tables", None)
            files = [FileEntry(**f) for f in body.pop("files")]
            manifest = cls(files=files, **body)
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupRefused(f"{origin}: manifest is unreadable ({exc}); the backup is damaged") from exc
        if manifest.format != FORMAT:
            raise BackupRefused(f"{origin}: manifest format {manifest.format} is not {FORMAT}")
        return manifest


def manifest_key(backup_id: str) -> str:
    return f"{BACKUPS_PREFIX}{backup_id}/{MANIFEST_NAME}"


def signature_key(backup_id: str) -> str:
    """The manifest's Ed25519 signature, uploaded before the manifest it signs."""
    return f"{BACKUPS_PREFIX}{backup_id}/manifest.sig"


def backup_id_of(key: str) -> str | None:
    """`backups/<id>/manifest.json` -> id; other keys -> None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] + "/" == BACKUPS_PREFIX and parts[2] == MANIFEST_NAME:
        return parts[1]
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
