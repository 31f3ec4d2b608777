"""fsync without stalling the worker: the call runs in gevent's thread pool while other greenlets serve.

Callers that hold a lock across these calls must take it with `eslamed.locks.held` (which
polls), never a blocking `flock`, or a second greenlet would block the whole worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import gevent


def fsync_fd(fd: int) -> None:
    """A greenlet interrupted while it waits (the journal replay's gevent.Timeout, a kill) still
    waits for the thread before the exception goes on: its caller closes `fd` next, and a close
    under a running fsync fails that fsync (EBADF) or, once the number is reused, flushes some
    other file while the journal's last write is left unsynced."""
    job = gevent.get_hub().threadpool.spawn(os.fsync, fd)
    try:
        job.get()
    except BaseException:
        job.wait()
        raise


def fsync_dir(directory: Path) -> None:
    """Makes a created, renamed or linked name in `directory` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fsync_fd(fd)
    finally:
        os.close(fd)


MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def filesystem_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str:
    """The type of the mount holding `path` (which need not exist yet): the longest mount point
    in /proc/mounts that contains it. statvfs cannot tell tmpfs from a disk."""
    target = path.resolve()
    best, kind = "", ""
    for line in mounts.read_text().splitlines():
        _device, point, fstype, *_ = line.split()
        point = point.replace("\\040", " ")
        if (target == Path(point) or Path(point) in target.parents) and len(point) > len(best):
            best, kind = point, fstype
    return kind
