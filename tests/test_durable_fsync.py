"""fsync in gevent's thread pool when the waiting greenlet is interrupted (a journal replay timeout)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import gevent
import pytest

from eslamed.core.durable import fsync_fd
from tests.support.polling import wait_for

SLOW_FSYNC_S = 0.3


def test_a_timeout_during_fsync_returns_only_after_the_fsync_so_the_file_is_still_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    seen: list[str] = []

    def slow_disk_fsync(fd: int) -> None:
        time.sleep(SLOW_FSYNC_S)
        try:
            real_fsync(fd)
            seen.append("synced")
        except OSError as exc:
            seen.append(errno.errorcode[exc.errno])

    monkeypatch.setattr(os, "fsync", slow_disk_fsync)
    fd = os.open(tmp_path / "leads.jsonl", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'{"lead_id": "x"}\n')
    started = time.monotonic()
    with pytest.raises(gevent.Timeout):
        try:
            with gevent.Timeout(0.05):
                fsync_fd(fd)
        finally:
            os.close(fd)
    waited = time.monotonic() - started
    wait_for(lambda: seen, what="the thread's fsync to finish", timeout_s=5)
    assert seen == ["synced"]
    assert waited >= SLOW_FSYNC_S


def test_an_fsync_error_reaches_the_caller() -> None:
    with pytest.raises(OSError) as raised:
        fsync_fd(10_000)
    assert raised.value.errno == errno.EBADF
