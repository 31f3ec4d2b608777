"""The lead journal: where a lead goes when ClickHouse does not answer, so none is ever lost;
on a server without `fsync_after_insert` also every lead, before its insert (write-ahead).

Appends are one `write` of one JSON line under an `flock`, followed by `fsync` before the
client is answered 202. The replayer (one worker at a time) first renames the active file
aside, then sends its records; a file is deleted only after every record in it is in
ClickHouse. Records already there (a replay cut short, an insert that landed after its
timeout) are skipped by lead_id, so each lead arrives exactly once.

A record that parses but cannot be stored (a field missing, a value of the wrong type, an id that is not a
UUID) is moved to `quarantine.jsonl` next to the journal, alerted and counted, and the replay goes on: one
bad record must not hold back every later lead. Records are checked against the row schema before they are
sent, and ClickHouse's own data errors (a value it cannot parse or convert) quarantine too; only connection
and availability errors leave a record for the next try (issue 27 D).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from clickhouse_driver.errors import ServerException

from eslamed.core import metrics
from eslamed.core.durable import fsync_dir, fsync_fd
from eslamed.core.locks import held, try_lock
from eslamed.core.store import StoreUnavailable

log = logging.getLogger(__name__)

ACTIVE = "leads.jsonl"
REPLAY_PREFIX = "replay-"
BAD_PREFIX = "bad-"
QUARANTINE = "quarantine.jsonl"
APPEND_WAIT_S = 10.0

# Replay(records) stores the records that are not yet in ClickHouse; raises StoreUnavailable.
Replay = Callable[[list[dict[str, Any]]], int]
# Check(record) raises (KeyError, ValueError, TypeError) when the record cannot become a row.
Check = Callable[[dict[str, Any]], object]
# ClickHouse error codes that blame the data sent, on 18.16 and current servers alike: CANNOT_PARSE_TEXT,
# CANNOT_PARSE_QUOTED_STRING, CANNOT_PARSE_INPUT_ASSERTION_FAILED, CANNOT_PARSE_DATE, CANNOT_PARSE_DATETIME,
# TYPE_MISMATCH, ARGUMENT_OUT_OF_BOUND, CANNOT_CONVERT_TYPE, CANNOT_PARSE_NUMBER, INCORRECT_DATA,
# CANNOT_PARSE_UUID. Any other server error (too many parts, memory, a timeout) is ClickHouse's own trouble.
DATA_ERROR_CODES = frozenset({6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 376})


def retry_later(exc: BaseException) -> bool:
    """Not the record's fault: ClickHouse away, or refusing for reasons of its own; the record waits."""
    if isinstance(exc, StoreUnavailable):
        return True
    return isinstance(exc, ServerException) and exc.code not in DATA_ERROR_CODES


class LeadJournal:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.active = directory / ACTIVE
        self._append_lock = directory / "append.lock"
        self._replay_lock = directory / "replay.lock"
        self.quarantine = directory / QUARANTINE

    def append(self, record: dict[str, Any]) -> None:
        """Durable once this returns: the line is on disk (fsync), the directory entry too."""
        self.append_many([record])

    def append_many(self, records: list[dict[str, Any]]) -> int:
        """Several leads in one write and one fsync (group commit: the leads that arrived while
        the last fsync ran share this one); durable once this returns."""
        line = b"".join(orjson.dumps(record) + b"\n" for record in records)
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
        return len(records)

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
    def _read(path: Path) -> tuple[list[tuple[bytes, Any]], list[bytes]]:
        """(line, record) pairs, and lines that do not parse (a torn write); those are kept aside."""
        entries, bad = [], []
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                entries.append((line, orjson.loads(line)))
            except orjson.JSONDecodeError:
                bad.append(line)
        return entries, bad

    def _write_atomically(self, path: Path, lines: list[bytes]) -> None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"".join(line + b"\n" for line in lines))
            fsync_fd(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(self.directory)

    def _quarantine(self, path: Path, line: bytes, lines: list[bytes], reason: str) -> None:
        """Append the line to the quarantine file (fsync), then drop it from the replay file, so a
        replay cut short later does not quarantine it twice."""
        fd = os.open(self.quarantine, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
            fsync_fd(fd)
        finally:
            os.close(fd)
        lines.remove(line)
        self._write_atomically(path, lines)
        metrics.JOURNAL_QUARANTINED.inc()
        log.error(
            "ALERT journal %s: a lead record cannot be stored (%s); kept in %s", path.name, reason, QUARANTINE
        )

    def _checked(self, path: Path, entries: list[tuple[bytes, Any]], check: Check) -> list[tuple[bytes, Any]]:
        """The entries that can become rows; the others are quarantined before anything is sent."""
        lines, good = path.read_bytes().splitlines(), []
        for line, record in entries:
            try:
                if not isinstance(record, dict):
                    raise TypeError(f"a record is a JSON object, not {type(record).__name__}")
                check(record)
            except (KeyError, ValueError, TypeError) as exc:
                self._quarantine(path, line, lines, f"{type(exc).__name__}: {exc}")
            else:
                good.append((line, record))
        return good

    def _store(self, path: Path, entries: list[tuple[bytes, Any]], store_records: Replay) -> int:
        """All records in one insert; when that fails for a reason of the records' own (a value the
        driver cannot encode, a value ClickHouse refuses to parse), one by one, quarantining each that
        still fails."""
        try:
            return store_records([record for _, record in entries]) if entries else 0
        except Exception as exc:
            if retry_later(exc):
                raise
            log.warning(
                "journal %s: replay failed (%s: %s); storing one by one", path.name, type(exc).__name__, exc
            )
        lines = path.read_bytes().splitlines()
        stored = 0
        for line, record in entries:
            try:
                stored += store_records([record])
            except Exception as exc:
                if retry_later(exc):
                    raise
                self._quarantine(path, line, lines, f"{type(exc).__name__}: {exc}")
        return stored

    def forget(self, needles: list[bytes]) -> list[str]:
        """Erase every line that holds one of `needles` (a lead id, a phone spelling, a name) from every
        file here, quarantine and unreadable lines included (KVKK); returns the files changed. Holds both
        locks, so no append or replay runs meanwhile."""
        changed = []
        with held(self._replay_lock, wait_s=APPEND_WAIT_S), held(self._append_lock, wait_s=APPEND_WAIT_S):
            for path in sorted(self.directory.glob("*.jsonl")):
                lines = path.read_bytes().splitlines()
                kept = [line for line in lines if line.strip() and not any(n in line for n in needles)]
                if len(kept) == len([line for line in lines if line.strip()]):
                    continue
                changed.append(str(path))
                if kept:
                    self._write_atomically(path, kept)
                else:
                    path.unlink()
                    fsync_dir(self.directory)
        return changed

    def replay(self, store_records: Replay, check: Check) -> int:
        """Send every journaled lead to ClickHouse; returns how many were new there. One worker at a time."""
        lock_fd = try_lock(self._replay_lock)
        if lock_fd is None:
            return 0
        stored = 0
        try:
            self._rotate()
            for path in sorted(self.directory.glob(f"{REPLAY_PREFIX}*.jsonl")):
                entries, bad = self._read(path)
                stored += self._store(path, self._checked(path, entries, check), store_records)
                if bad:
                    kept = self.directory / f"{BAD_PREFIX}{path.stem}.jsonl"
                    kept.write_bytes(b"\n".join(bad) + b"\n")
                    log.error("journal %s: %d unreadable lines kept in %s", path.name, len(bad), kept.name)
                path.unlink()
                fsync_dir(self.directory)
                log.info("journal %s replayed: %d records", path.name, len(entries))
        finally:
            os.close(lock_fd)
        return stored
