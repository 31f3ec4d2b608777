"""Rate-limit counters shared by every gunicorn worker on the box.

flask-limiter's `memory://` storage is per process, so N workers would allow N times the
limit. We have no Redis, so the counters live in a small file-backed hash table that all
workers map; each update holds an `flock` for a few microseconds. Only fixed windows are
supported, which is what flask-limiter uses by default.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from limits import RateLimitItem
from limits.storage import Storage

SCHEME = "eslamedfile"
ENTRY = struct.Struct("<QdQ")  # key hash, window end (epoch s), count
SLOTS = 16384
PROBES = 16


def storage_uri(path: Path) -> str:
    return f"{SCHEME}://{path.resolve()}"


class SharedFileStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: object) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(urlparse(uri).path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < ENTRY.size * SLOTS:
            os.ftruncate(self._fd, ENTRY.size * SLOTS)
        self._mm = mmap.mmap(self._fd, ENTRY.size * SLOTS)

    @property
    def base_exceptions(self) -> type[Exception]:
        return OSError

    @staticmethod
    @lru_cache(maxsize=16384)
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1

    def _find(self, key_hash: int, now: float, claim: bool) -> int | None:
        """Slot index holding key_hash; with claim, an empty or expired slot is taken for it."""
        start = key_hash % SLOTS
        free = None
        for i in range(PROBES):
            idx = (start + i) % SLOTS
            h, end, _ = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            if h == key_hash:
                return idx
            if free is None and (h == 0 or end <= now):
                free = idx
        if claim:
            return free if free is not None else start
        return None

    def _locked(self):
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return _Unlock(self._fd)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, now, claim=True)
            assert idx is not None
            h, end, count = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            if h != key_hash or end <= now:
                end, count = now + expiry, 0
            count += amount
            ENTRY.pack_into(self._mm, idx * ENTRY.size, key_hash, end, count)
            return count

    def get(self, key: str) -> int:
        now = time.time()
        with self._locked():
            idx = self._find(self._hash(key), now, claim=False)
            if idx is None:
                return 0
            _, end, count = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            return count if end > now else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._locked():
            idx = self._find(self._hash(key), now, claim=False)
            if idx is None:
                return now
            return ENTRY.unpack_from(self._mm, idx * ENTRY.size)[1]

    def check(self) -> bool:
        return not self._mm.closed

    def reset(self) -> int | None:
        with self._locked():
            self._mm[:] = bytes(len(self._mm))
        return None

    def clear(self, key: str) -> None:
        with self._locked():
            idx = self._find(self._hash(key), time.time(), claim=False)
            if idx is not None:
                ENTRY.pack_into(self._mm, idx * ENTRY.size, 0, 0.0, 0)


class FixedWindow:
    """One limit checked on every request of the hot track endpoint: the same counting as
    limits' FixedWindowRateLimiter.hit on the shared storage, without building the key per call."""

    def __init__(self, storage: SharedFileStorage, limit: RateLimitItem, scope: str) -> None:
        self.storage = storage
        self.amount = limit.amount
        self.expiry = limit.get_expiry()
        self.prefix = f"{limit.key_for(scope)}/"

    def hit(self, identifier: str) -> bool:
        """Count one request; False once the identifier is over the limit in this window."""
        return self.storage.incr(self.prefix + identifier, self.expiry) <= self.amount


class _Unlock:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
