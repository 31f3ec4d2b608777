"""fsync without stalling the worker: the call runs in gevent's thread pool while other greenlets serve.

Callers that hold a lock across these calls must take it with `eslamed.locks.held` (which
polls), never a blocking `flock`, or a second greenlet would block the whole worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import gevent


def fsync_fd(fd: int) -> None:
    gevent.get_hub().threadpool.apply(os.fsync, (fd,))


def fsync_dir(directory: Path) -> None:
    """Makes a created, renamed or linked name in `directory` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fsync_fd(fd)
    finally:
        os.close(fd)
