"""Child servers (ClickHouse, gunicorn) that never outlive the process that started them.

Tests and the run command start servers in their own sessions (so a stop can signal the whole group).
A failing fixture, an interrupted run or a `kill -9` of the parent must still leave none behind: each child
asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG), and whatever is still running when the
parent's interpreter exits is killed with its group.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess

PR_SET_PDEATHSIG = 1
_LIVE: dict[int, subprocess.Popen] = {}


def die_with_parent(parent: int) -> None:
    """preexec_fn of a child: SIGKILL when `parent` dies (and at once if it already has)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def spawn(cmd: list[str], **kwargs: object) -> subprocess.Popen:
    """Popen in a new session, killed with its parent; tracked until `reap`."""
    parent = os.getpid()
    process = subprocess.Popen(
        cmd, start_new_session=True, preexec_fn=lambda: die_with_parent(parent), **kwargs
    )
    _LIVE[process.pid] = process
    return process


def reap(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the child's whole group (a server's own children too) and wait for it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)
    _LIVE.pop(process.pid, None)


def forget(process: subprocess.Popen) -> None:
    _LIVE.pop(process.pid, None)


@atexit.register
def _kill_survivors() -> None:
    for process in list(_LIVE.values()):
        reap(process)
