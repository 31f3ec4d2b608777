"""The erasure ledger and the access log: what was erased or exported, by whom and when, without the
personal data itself.

A phone is kept only as an HMAC with a key that lives in DATA_DIR/privacy (never in a backup), so the
ledger can recognise the person in a restored old backup but cannot be read back into a number. The
ledger is a file (DATA_DIR/privacy/erasures.jsonl, fsync'd) and a table (`erasures`, which backups
carry); a restore applies both.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from eslamed.core.clock import new_version
from eslamed.core.config import Settings
from eslamed.core.durable import fsync_dir, fsync_fd
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store

KEY_FILE = "ledger.key"
LEDGER_FILE = "erasures.jsonl"


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    erased_at: datetime
    phone_hmac: str
    lead_ids: tuple[str, ...]

    def row(self) -> dict[str, Any]:
        return {
            "erasure_id": self.erasure_id,
            "erased_at": self.erased_at,
            "phone_hmac": self.phone_hmac,
            "lead_ids": list(self.lead_ids),
        }


def ledger_for(settings: Settings) -> Ledger:
    """The ledger and its key live in DATA_DIR/privacy, beside the server's other secrets."""
    return Ledger(settings.data_dir / "privacy")


class Ledger:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _key(self) -> bytes:
        path = self.directory / KEY_FILE
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, secrets.token_bytes(32))
                fsync_fd(fd)
            finally:
                os.close(fd)
            fsync_dir(self.directory)
        return path.read_bytes()

    def phone_hmac(self, e164: str) -> str:
        """The person's phone as the ledger and the access log keep it: a keyed hash, '' without a phone."""
        return hmac.new(self._key(), e164.encode(), hashlib.sha256).hexdigest() if e164 else ""

    def record(self, store: Store, e164: str, lead_ids: list[str], now: datetime) -> Erasure:
        """Written before the erasure runs: a crash half-way is finished by the next restore or erase."""
        erasure = Erasure(str(uuid.uuid4()), now, self.phone_hmac(e164), tuple(lead_ids))
        line = orjson.dumps({**erasure.row(), "erased_at": now.isoformat()}) + b"\n"
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / LEDGER_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            fsync_fd(fd)
        finally:
            os.close(fd)
        store.insert_rows("erasures", [erasure.row()])
        return erasure

    def entries(self, store: Store) -> list[Erasure]:
        """The file's entries and the table's (a restored backup's), once each."""
        found: dict[str, Erasure] = {}
        path = self.directory / LEDGER_FILE
        if path.exists():
            for line in path.read_bytes().splitlines():
                if line.strip():
                    raw = orjson.loads(line)
                    found[raw["erasure_id"]] = Erasure(
                        raw["erasure_id"],
                        datetime.fromisoformat(raw["erased_at"]),
                        raw["phone_hmac"],
                        tuple(raw["lead_ids"]),
                    )
        for erasure_id, erased_at, phone_hmac, lead_ids in store.query(
            sql.ERASURES.format(db=store.database)
        ):
            found.setdefault(erasure_id, Erasure(erasure_id, erased_at, phone_hmac, tuple(lead_ids)))
        return sorted(found.values(), key=lambda e: (e.erased_at, e.erasure_id))


def log_access(
    store: Store, actor: str, action: str, lead_ids: list[str], phone_hmac: str, detail: str, now: datetime
) -> None:
    """One line of the access log of personal data (KVKK): who, what, when, never the data itself."""
    store.insert_rows(
        "privacy_log",
        [
            {
                "at": now,
                "version": new_version(),
                "actor": actor,
                "action": action,
                "lead_ids": lead_ids,
                "phone_hmac": phone_hmac,
                "detail": detail,
            }
        ],
    )
