"""Rate-limit counters shared by every gunicorn worker on the box.

flask-limiter's `memory://` storage is per process, so N workers would allow N times the
limit. We have no Redis, so the counters live in a small file-backed hash table that all
workers map; each update holds an `flock` for a few microseconds. Only fixed windows are
supported, which is what flask-limiter uses by default.

Counters are keyed by `rate_key(ip)`: an IPv6 client is one /64 (one customer line or
server gets a whole /64, so per address it would have 2^64 fresh counters). When all the
probe slots for a key hold live counters of other keys, nothing is overwritten (that would
reset someone else's count, and a flood of fresh keys would wipe every limit): the request
is refused as over the limit, counted in `eslamed_ratelimit_table_full_total` and logged.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import logging
import mmap
import os
import struct
import time
from pathlib import Path
from urllib.parse import urlparse

from limits import RateLimitItem
from limits.storage import Storage

from eslamed.core import metrics
from eslamed.core.input_cache import cache_short_inputs

SCHEME = "eslamedfile"
ENTRY = struct.Struct("<QdQ")  # key hash, window end (epoch s), count
SLOTS = 65536  # 1.5 MB; linear probing stays short while under half full
PROBES = 32
FULL = -1
OVER_LIMIT = 1 << 62  # the count reported for a key that found no slot: past any limit
WARN_EVERY_S = 60.0
log = logging.getLogger(__name__)


@cache_short_inputs(maxsize=16384, max_chars=64)
def rate_key(ip: str) -> str:
    """The identity a limit counts: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return ip


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
        self._warned_at = float("-inf")

    @property
    def base_exceptions(self) -> type[Exception]:
        return OSError

    @staticmethod
    @cache_short_inputs(maxsize=16384, max_chars=256)
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1

    def _find(self, key_hash: int, now: float) -> int:
        """Slot holding key_hash, else the first empty or expired slot where it may go, else FULL."""
        start = key_hash % SLOTS
        free = FULL
        for i in range(PROBES):
            idx = (start + i) % SLOTS
            h, end, _ = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            if h == key_hash:
                return idx
            if free == FULL and (h == 0 or end <= now):
                free = idx
        return free

    def _full(self, now: float) -> int:
        metrics.RATELIMIT_TABLE_FULL.inc()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("rate-limit table full: refusing requests whose counter has no free slot")
        return OVER_LIMIT

    def _locked(self):
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return _Unlock(self._fd)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, now)
            if idx == FULL:
                return self._full(now)
            h, end, count = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            if h != key_hash or end <= now:
                end, count = now + expiry, 0
            count += amount
            ENTRY.pack_into(self._mm, idx * ENTRY.size, key_hash, end, count)
            return count

    def reserve(self, key: str, expiry: int, want: int, limit: int) -> tuple[int, float]:
        """Take up to `want` hits of the key's window for one worker to spend without the lock.

        Returns the hits granted (0 once the window is used up) and the window's end. The shared
        count never passes `limit`, so what all workers grant together is the limit, exactly."""
        now = time.time()
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, now)
            if idx == FULL:
                self._full(now)
                return 0, now + 1.0
            h, end, count = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            if h != key_hash or end <= now:
                end, count = now + expiry, 0
            granted = max(0, min(want, limit - count))
            ENTRY.pack_into(self._mm, idx * ENTRY.size, key_hash, end, count + granted)
            return granted, end

    def get(self, key: str) -> int:
        now = time.time()
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, now)
            if idx == FULL:
                return self._full(now)
            h, end, count = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            return count if h == key_hash and end > now else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, now)
            if idx == FULL:
                return now
            h, end, _ = ENTRY.unpack_from(self._mm, idx * ENTRY.size)
            return end if h == key_hash and end > now else now

    def check(self) -> bool:
        return not self._mm.closed

    def reset(self) -> int | None:
        with self._locked():
            self._mm[:] = bytes(len(self._mm))
        return None

    def clear(self, key: str) -> None:
        key_hash = self._hash(key)
        with self._locked():
            idx = self._find(key_hash, time.time())
            if idx != FULL and ENTRY.unpack_from(self._mm, idx * ENTRY.size)[0] == key_hash:
                ENTRY.pack_into(self._mm, idx * ENTRY.size, 0, 0.0, 0)


class FixedWindow:
    """The limit checked on every request of the hot track endpoint, without a lock per request.

    A worker leases hits from the shared counter (1 at first, then twice the last lease, up to
    `lease_max`) and spends them locally; once the shared window is used up it refuses locally
    until the window ends. Together the workers grant exactly the limit; one client whose requests
    are split between workers may be refused early by at most the hits other workers still hold
    (under `lease_max` each), which is why the lease is small next to the limit."""

    PRUNE_AT = 4096

    def __init__(self, storage: SharedFileStorage, limit: RateLimitItem, scope: str) -> None:
        self.storage = storage
        self.amount = limit.amount
        self.expiry = limit.get_expiry()
        self.prefix = f"{limit.key_for(scope)}/"
        self.lease_max = max(1, min(64, limit.amount // 32))
        self._leases: dict[str, list[float]] = {}  # key -> [hits left, window end, last lease]

    def hit(self, identifier: str) -> bool:
        """Count one request; False once the identifier is over the limit in this window."""
        key = rate_key(identifier)
        now = time.time()
        lease = self._leases.get(key)
        if lease is not None and lease[1] > now:
            if lease[0] > 0:
                lease[0] -= 1
                return True
            if lease[2] == 0:
                return False
            want = min(self.lease_max, int(lease[2]) * 2)
        else:
            if len(self._leases) >= self.PRUNE_AT:
                self._leases = {k: v for k, v in self._leases.items() if v[1] > now}
            want = 1
        granted, end = self.storage.reserve(self.prefix + key, self.expiry, want, self.amount)
        self._leases[key] = [granted - 1 if granted else 0, end, granted]
        return granted > 0


class _Unlock:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
