"""One worker's ring: a file-backed mmap that survives `kill -9` of its owner.

Layout: a 64-byte header, then a circular data area. Offsets are logical (ever-growing
64-bit counters); the physical position is `offset % capacity`, so records may wrap.

    header: magic(8) version(u32) pad(u32) capacity(u64) write(u64) read(u64)
            inflight_start(u64) inflight_end(u64) pad(8)
    record: length(u32) crc32(u32) payload

`write` moves only after a record's bytes are in place, so a reader never sees half a
record. `read` (committed) moves only after ClickHouse acknowledged the batch. The
in-flight range is written before the insert, so whoever recovers the slot knows which
records may already be stored and checks them by id before sending them again.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"ESLRING1"
VERSION = 1
HEADER = struct.Struct("<8sIIQQQQQ8x")
HEADER_SIZE = 64
RECORD = struct.Struct("<II")
_WRITE_AT = 24
_READ_AT = 32
_INFLIGHT_AT = 40
PEEK_CHUNK = 1 << 20


def frame(payloads: Sequence[bytes]) -> bytes:
    """Records as stored, in the ring and in spill segments: length, checksum, payload."""
    return b"".join([RECORD.pack(len(p), zlib.crc32(p)) + p for p in payloads])


class RingCorrupt(Exception):
    """A record failed its checksum; the slot is quarantined rather than replayed wrongly."""


@dataclass(frozen=True)
class Batch:
    start: int
    end: int
    payloads: list[bytes]


def _create(path: Path, capacity: int) -> None:
    """Build the slot under a private name, then link it into place: others never see it half made."""
    tmp = path.with_name(f"{path.name}.init-{os.getpid()}")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            # Reserve real blocks now: a sparse file on a full tmpfs would SIGBUS the worker on first write.
            os.posix_fallocate(fd, 0, HEADER_SIZE + capacity)
            os.pwrite(fd, HEADER.pack(MAGIC, VERSION, 0, capacity, 0, 0, 0, 0), 0)
        finally:
            os.close(fd)
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


class RingSlot:
    def __init__(self, path: Path, capacity: int) -> None:
        self.path = path
        if not path.exists():
            _create(path, capacity)
        self._fd = os.open(path, os.O_RDWR)
        size = os.fstat(self._fd).st_size
        self._mm = mmap.mmap(self._fd, size)
        magic, version, _, existing, *_ = HEADER.unpack_from(self._mm, 0)
        if magic != MAGIC or version != VERSION or existing + HEADER_SIZE != size:
            raise RingCorrupt(f"{path}: not a ring slot of this version")
        self.capacity: int = HEADER.unpack_from(self._mm, 0)[3]

    def try_lock(self) -> bool:
        """Claim the slot for this process; the kernel releases the lock when we die."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._mm.close()
        os.close(self._fd)

    def sync(self) -> None:
        """msync: the records and the header's offsets reach the disk (EVENTS_DURABILITY=host).
        The kernel writes only the dirty pages, so the whole map costs what the appended range does."""
        self._mm.flush()

    def _u64(self, at: int) -> int:
        return struct.unpack_from("<Q", self._mm, at)[0]

    def _set_u64(self, at: int, value: int) -> None:
        struct.pack_into("<Q", self._mm, at, value)

    @property
    def write_offset(self) -> int:
        return self._u64(_WRITE_AT)

    @property
    def read_offset(self) -> int:
        return self._u64(_READ_AT)

    @property
    def inflight(self) -> tuple[int, int]:
        return self._u64(_INFLIGHT_AT), self._u64(_INFLIGHT_AT + 8)

    @property
    def used(self) -> int:
        return self.write_offset - self.read_offset

    def fill_ratio(self) -> float:
        return self.used / self.capacity

    def _put(self, offset: int, data: bytes) -> None:
        pos = offset % self.capacity
        first = min(len(data), self.capacity - pos)
        self._mm[HEADER_SIZE + pos : HEADER_SIZE + pos + first] = data[:first]
        if first < len(data):
            self._mm[HEADER_SIZE : HEADER_SIZE + len(data) - first] = data[first:]

    def _get(self, offset: int, length: int) -> bytes:
        pos = offset % self.capacity
        first = min(length, self.capacity - pos)
        data = self._mm[HEADER_SIZE + pos : HEADER_SIZE + pos + first]
        if first < length:
            data += self._mm[HEADER_SIZE : HEADER_SIZE + length - first]
        return data

    def append(self, payloads: Sequence[bytes]) -> bool:
        """Store the records of one request, all or none; False when they do not fit (the caller
        spills). One copy and one move of the write offset for the lot."""
        data = frame(payloads)
        write = self.write_offset
        if write + len(data) - self.read_offset > self.capacity:
            return False
        self._put(write, data)
        self._set_u64(_WRITE_AT, write + len(data))
        return True

    def peek(self, max_records: int) -> Batch:
        """Read up to max_records committed-but-unsent records without consuming them. The ring
        is copied out in chunks of PEEK_CHUNK bytes rather than two slices per record."""
        start = offset = self.read_offset
        end = self.write_offset
        payloads = []
        data, base = b"", offset  # data holds the ring's bytes from logical offset `base` on
        while offset < end and len(payloads) < max_records:
            if offset + RECORD.size > end:
                raise RingCorrupt(f"{self.path}: torn record header at {offset}")
            if offset + RECORD.size > base + len(data):
                data, base = self._get(offset, min(end - offset, PEEK_CHUNK)), offset
            length, crc = RECORD.unpack_from(data, offset - base)
            stop = offset + RECORD.size + length
            if stop > end:
                raise RingCorrupt(f"{self.path}: record at {offset} runs past the write offset")
            if stop > base + len(data):
                data, base = self._get(offset, max(min(end - offset, PEEK_CHUNK), stop - offset)), offset
            payload = data[offset - base + RECORD.size : stop - base]
            if zlib.crc32(payload) != crc:
                raise RingCorrupt(f"{self.path}: checksum mismatch at {offset}")
            payloads.append(payload)
            offset = stop
        return Batch(start, offset, payloads)

    def mark_inflight(self, batch: Batch) -> None:
        self._set_u64(_INFLIGHT_AT, batch.start)
        self._set_u64(_INFLIGHT_AT + 8, batch.end)

    def commit(self, batch: Batch) -> None:
        """ClickHouse has the batch: free its space and clear the in-flight mark."""
        self._set_u64(_READ_AT, batch.end)
        self._set_u64(_INFLIGHT_AT, 0)
        self._set_u64(_INFLIGHT_AT + 8, 0)

    def was_inflight(self, batch: Batch) -> bool:
        """True when a previous owner may have inserted this batch before it died."""
        start, end = self.inflight
        return end > start and batch.start < end and batch.start >= start
