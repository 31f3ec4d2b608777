"""The notification outbox: one small fsync'd file per (lead, channel, target) until it is delivered.

It lives on local disk, not in ClickHouse, so an owner is told about a lead even while
ClickHouse is down, and a restart (or a killed worker) never loses a pending message: the
sweep finds the file and sends it. A file's name is derived from its key, so the same
notification can never be queued twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import orjson

from eslamed.core.durable import fsync_dir, fsync_fd

log = logging.getLogger(__name__)

Entry = dict[str, Any]


def entry_key(lead_id: str, channel: str, address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"{lead_id}.{channel}.{digest}"


class Outbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.failed_dir = directory / "failed"
        self.failed_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, entry: Entry) -> Path:
        return self.directory / f"{entry['key']}.json"

    def _write_tmp(self, entry: Entry) -> Path:
        tmp = self.directory / f".{entry['key']}.{os.getpid()}.tmp"
        with tmp.open("wb") as out:
            out.write(orjson.dumps(entry))
            out.flush()
            fsync_fd(out.fileno())
        return tmp

    def add(self, entry: Entry) -> bool:
        """Queue; False when this exact notification is already queued. Durable after `sync()`."""
        tmp = self._write_tmp(entry)
        try:
            os.link(tmp, self._path(entry))
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def sync(self) -> None:
        """One directory fsync for a batch of `add`s: their names survive a power cut."""
        fsync_dir(self.directory)

    def update(self, entry: Entry) -> None:
        os.replace(self._write_tmp(entry), self._path(entry))

    def remove(self, entry: Entry) -> None:
        self._path(entry).unlink(missing_ok=True)

    def give_up(self, entry: Entry) -> None:
        """Kept for a person to look at, out of the sweep's way."""
        os.replace(self._write_tmp(entry), self.failed_dir / f"{entry['key']}.json")
        self.remove(entry)

    def due(self, now: float) -> list[Entry]:
        entries = []
        for path in self.directory.glob("*.json"):
            try:
                entry = orjson.loads(path.read_bytes())
            except FileNotFoundError:
                continue
            except orjson.JSONDecodeError:
                log.error("outbox file %s unreadable; moved to failed/", path.name)
                path.replace(self.failed_dir / path.name)
                continue
            if entry["next_attempt_at"] <= now:
                entries.append(entry)
        return sorted(entries, key=lambda e: e["next_attempt_at"])

    def forget(self, lead_ids: set[str]) -> list[str]:
        """Erase what is queued (or given up) about these leads (KVKK): the messages hold their name and
        number. Returns the names of the files removed."""
        gone = []
        for directory in (self.directory, self.failed_dir):
            for path in directory.glob("*.json"):
                if path.name.split(".", 1)[0] in lead_ids:
                    path.unlink(missing_ok=True)
                    gone.append(str(path))
        if gone:
            fsync_dir(self.directory)
            fsync_dir(self.failed_dir)
        return gone

    def pending_count(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json"))
