"""Cross-worker locks on files (`flock`), polite to gevent: waiting polls instead of blocking the hub.

A lock dies with its process, so a killed worker never leaves one behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import gevent

POLL_S = 0.005


class LockTimeout(Exception):
    """The lock stayed taken longer than the caller was willing to wait."""


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def try_lock(path: Path) -> int | None:
    """An fd holding the lock, or None when another process has it. Close the fd to release."""
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def held(path: Path, wait_s: float) -> Iterator[None]:
    deadline = time.monotonic() + wait_s
    while (fd := try_lock(path)) is None:
        if time.monotonic() >= deadline:
            raise LockTimeout(str(path))
        gevent.sleep(POLL_S)
    try:
        yield
    finally:
        os.close(fd)


class Leader:
    """One process at a time does a job (uploads, the notification sweep): whoever holds this lock.

    Non-blocking: a process that does not get it skips the round and asks again on the next.
    The kernel drops the lock when its holder dies, so a killed worker never blocks the job."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is None:
            self._fd = try_lock(self.path)
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
