"""Disk spill for a ring that is full (ClickHouse down for long, or a burst).

Append-only segment files, same record format as the ring. Each segment has a `.pos`
sidecar holding (committed offset, in-flight end) so a replay after a crash resumes where
it stopped and knows which records to check against ClickHouse before sending again.
Once anything is spilled, new records keep going to the spill until it is drained, so
events are replayed in arrival order.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from eslamed.core.durable import fsync_dir
from eslamed.ring.slot import RECORD, Batch, RingCorrupt, frame

POS = struct.Struct("<QQ")
PEEK_CHUNK = 1 << 20


class Spill:
    def __init__(self, directory: Path, segment_bytes: int, max_bytes: int) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._write_fd: int | None = None
        self._write_path: Path | None = None
        self._write_size = 0  # bytes in the open segment; only this process writes it (slot flock)
        self._active: bool | None = None
        self._pending: int | None = None

    def segments(self) -> list[Path]:
        return sorted(self.directory.glob("seg-*.log"))

    @property
    def active(self) -> bool:
        """Asked on every append, so the directory is listed only after a segment was closed or
        removed: the slot's flock makes this process the only writer of its spill directory."""
        if self._write_fd is not None:
            return True
        if self._active is None:
            self._active = bool(self.segments())
        return self._active

    def pending_bytes(self) -> int:
        """Read from disk once, then kept up to date by append and commit (we are the only writer)."""
        if self._pending is None:
            self._pending = sum(seg.stat().st_size - self._read_pos(seg)[0] for seg in self.segments())
        return self._pending

    def append(self, payloads: Sequence[bytes]) -> bool:
        """All of one request's records or none. False when the spill is at its size limit:
        the caller answers 503, the client retries."""
        record = frame(payloads)
        if self.pending_bytes() + len(record) > self.max_bytes:
            return False
        try:
            if self._write_fd is None:
                self._open_new_segment()
            assert self._write_fd is not None
            size = self._write_size
            if os.write(self._write_fd, record) != len(record):
                os.ftruncate(self._write_fd, size)
                return False
        except OSError:
            # Disk full (ENOSPC): a failed write wrote nothing; refuse so the client retries later.
            return False
        self._write_size = size + len(record)
        self._pending = self.pending_bytes() + len(record)
        if self._write_size >= self.segment_bytes:
            self._close_writer()
        return True

    def _open_new_segment(self) -> None:
        existing = self.segments()
        seq = int(existing[-1].stem.split("-")[1]) + 1 if existing else 1
        path = self.directory / f"seg-{seq:012d}.log"
        # The position file is written before the segment exists, so replaying never needs new disk space.
        self._pos_path(path).write_bytes(POS.pack(0, 0))
        self._write_path = path
        self._write_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._write_size = 0

    def _close_writer(self) -> None:
        if self._write_fd is not None:
            os.fsync(self._write_fd)
            os.close(self._write_fd)
        self._write_fd = None
        self._write_path = None
        self._active = None

    def sync(self) -> None:
        """EVENTS_DURABILITY=host: the open segment's bytes and its name survive a power loss."""
        if self._write_fd is not None:
            os.fsync(self._write_fd)
            fsync_dir(self.directory)

    @staticmethod
    def _pos_path(segment: Path) -> Path:
        return segment.with_suffix(".pos")

    def _read_pos(self, segment: Path) -> tuple[int, int]:
        try:
            return POS.unpack(self._pos_path(segment).read_bytes())
        except (FileNotFoundError, struct.error):
            return 0, 0

    def _write_pos(self, segment: Path, committed: int, inflight_end: int) -> None:
        """Overwrite in place: 16 bytes inside an allocated block, so it works on a full disk."""
        fd = os.open(self._pos_path(segment), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, POS.pack(committed, inflight_end), 0)
        finally:
            os.close(fd)

    def peek(self, max_records: int) -> tuple[Path, Batch, bool] | None:
        """Oldest unsent records, and whether a previous attempt may already have stored them."""
        for segment in self.segments():
            committed, inflight_end = self._read_pos(segment)
            payloads, position = [], committed
            with segment.open("rb") as fh:
                fh.seek(committed)
                data, base = fh.read(PEEK_CHUNK), committed  # the segment's bytes from `base` on
                while len(payloads) < max_records:
                    at = position - base
                    length, crc = RECORD.unpack_from(data, at) if at + RECORD.size <= len(data) else (0, 0)
                    stop = at + RECORD.size + length
                    if stop > len(data):
                        more = fh.read(max(PEEK_CHUNK, stop - len(data)))
                        if not more:
                            break  # a record still being written, or torn by a crash
                        data, base = data[at:] + more, position
                        continue
                    payload = data[at + RECORD.size : stop]
                    if zlib.crc32(payload) != crc:
                        raise RingCorrupt(f"{segment}: checksum mismatch at {position}")
                    payloads.append(payload)
                    position += RECORD.size + length
            if payloads:
                batch = Batch(committed, position, payloads)
                return segment, batch, inflight_end > committed
            if segment != self._write_path:
                self._remove(segment)
        return None

    def mark_inflight(self, segment: Path, batch: Batch) -> None:
        self._write_pos(segment, batch.start, batch.end)

    def commit(self, segment: Path, batch: Batch) -> None:
        pending = self.pending_bytes()
        self._write_pos(segment, batch.end, 0)
        self._pending = pending - (batch.end - batch.start)
        if segment != self._write_path and batch.end >= segment.stat().st_size:
            self._remove(segment)
        elif segment == self._write_path and batch.end >= segment.stat().st_size:
            self._close_writer()
            self._remove(segment)

    def _remove(self, segment: Path) -> None:
        segment.unlink(missing_ok=True)
        self._pos_path(segment).unlink(missing_ok=True)
        self._active = None

    def close(self) -> None:
        self._close_writer()
