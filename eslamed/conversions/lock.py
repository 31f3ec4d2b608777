"""One uploader at a time across gunicorn workers and cron runs on this machine (flock)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from eslamed.core import locks

LOCK_NAME = "conversions-upload.lock"


class UploadLock:
    """The kernel drops the lock when its holder dies, so a killed worker never blocks uploads."""

    def __init__(self, locks_dir: Path) -> None:
        self.path = locks_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is None:
            self._fd = locks.try_lock(self.path)
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
