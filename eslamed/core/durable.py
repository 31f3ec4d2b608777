"""fsync without stalling the worker: the call runs in gevent's thread pool while other greenlets serve.

Callers that hold a lock across these calls must take it with `eslamed.core.locks.held` (which
polls), never a blocking `flock`, or a second greenlet would block the whole worker.
"""

from __future__ import annotations

import contextlib
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


# DATA_DIR and SPOOL_DIR hold names, phone numbers and messages (journal, outbox, ring): nobody else on
# the host reads them, whatever umask the process was started with (issue 27 G).
PRIVATE_UMASK = 0o077


def keep_private(*roots: Path) -> None:
    """From now on every file this process creates is 0600 and every directory 0700; what is already
    under `roots` (left by an older version or another umask) is tightened to the same."""
    os.umask(PRIVATE_UMASK)
    for root in roots:
        root.mkdir(parents=True, exist_ok=True)
        for directory, _dirs, files in os.walk(root):
            os.chmod(directory, 0o700)
            for name in files:
                path = Path(directory, name)
                if not path.is_symlink():
                    with contextlib.suppress(FileNotFoundError):  # renamed or consumed meanwhile
                        path.chmod(0o600)


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
