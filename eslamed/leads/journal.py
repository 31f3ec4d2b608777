"""The lead journal: where a lead goes when ClickHouse does not answer, so none is ever lost.

Appends are one `write` of one JSON line under an `flock`, followed by `fsync` before the
client is answered 202. The replayer (one worker at a time) first renames the active file
aside, then sends its records; a file is deleted only after every record in it is in
ClickHouse. Records already there (a replay cut short, an insert that landed after its
timeout) are skipped by lead_id, so each lead arrives exactly once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from eslamed.durable import fsync_dir, fsync_fd
from eslamed.locks import held, try_lock

log = logging.getLogger(__name__)

ACTIVE = "leads.jsonl"
REPLAY_PREFIX = "replay-"
BAD_PREFIX = "bad-"
APPEND_WAIT_S = 10.0

# Replay(records) stores the records that are not yet in ClickHouse; raises StoreUnavailable.
Replay = Callable[[list[dict[str, Any]]], int]


class LeadJournal:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.active = directory / ACTIVE
        self._append_lock = directory / "append.lock"
        self._replay_lock = directory / "replay.lock"

    def append(self, record: dict[str, Any]) -> None:
        """Durable once this returns: the line is on disk (fsync), the directory entry too."""
        line = orjson.dumps(record) + b"\n"
        with held(self._append_lock, wait_s=APPEND_WAIT_S):
            created = not self.active.exists()
            fd = os.open(self.active, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
                os.write(fd, b"\n" + line if torn else line)
                fsync_fd(fd)
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.directory)

    def _files(self) -> list[Path]:
        replays = sorted(self.directory.glob(f"{REPLAY_PREFIX}*.jsonl"))
        return [*replays, self.active] if self.active.exists() else replays

    def pending(self) -> bool:
        return bool(self._files())

    def contains(self, lead_id: str) -> bool:
        """Whether a lead with this id waits here (counts as stored for idempotency)."""
        needle = f'"lead_id":"{lead_id}"'.encode()
        for path in self._files():
            try:
                if needle in path.read_bytes():
                    return True
            except FileNotFoundError:
                continue
        return False

    def _rotate(self) -> None:
        with held(self._append_lock, wait_s=APPEND_WAIT_S):
            if self.active.exists() and self.active.stat().st_size > 0:
                self.active.rename(self.directory / f"{REPLAY_PREFIX}{time.time_ns()}.jsonl")
                fsync_dir(self.directory)

    @staticmethod
    def _read(path: Path) -> tuple[list[dict[str, Any]], list[bytes]]:
        """Records, and lines that do not parse (a torn write); those are kept aside, never dropped."""
        records, bad = [], []
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                bad.append(line)
        return records, bad

    def replay(self, store_records: Replay) -> int:
        """Send every journaled lead to ClickHouse; returns how many were new there. One worker at a time."""
        lock_fd = try_lock(self._replay_lock)
        if lock_fd is None:
            return 0
        stored = 0
        try:
            self._rotate()
            for path in sorted(self.directory.glob(f"{REPLAY_PREFIX}*.jsonl")):
                records, bad = self._read(path)
                stored += store_records(records) if records else 0
                if bad:
                    kept = self.directory / f"{BAD_PREFIX}{path.stem}.jsonl"
                    kept.write_bytes(b"\n".join(bad) + b"\n")
                    log.error("journal %s: %d unreadable lines kept in %s", path.name, len(bad), kept.name)
                path.unlink()
                fsync_dir(self.directory)
                log.info("journal %s replayed: %d records", path.name, len(records))
        finally:
            os.close(lock_fd)
        return stored
