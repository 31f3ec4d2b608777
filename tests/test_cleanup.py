"""Tests clean up (issue 21 item 6): a test run in which tests fail inside their fixtures, or that is killed,
leaves no ClickHouse, gunicorn, ZooKeeper or browser process behind.

Each scenario is a pytest run of its own (with this suite's fixtures as a plugin) whose environment carries a
marker that every process it starts inherits; afterwards no process on the machine may carry that marker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.support.paths import REPO
from tests.support.polling import wait_for

INNER = '''
import time
from pathlib import Path

import pytest

from eslamed.devtools.clickhouse_server import LocalClickHouse


@pytest.fixture
def broken_after_start(clickhouse, own_clickhouse, store, make_server):
    """Fails on purpose inside the fixture, with two ClickHouse servers and a gunicorn up."""
    make_server(clickhouse, store, workers=1)
    raise RuntimeError("fails on purpose inside the fixture")


def test_fixture_fails_after_its_servers_started(broken_after_start):
    pass


def test_server_that_never_comes_up(tmp_path):
    LocalClickHouse(tmp_path / "slow").start(timeout_s=0.0)


def test_fails_with_a_browser_open(browser):
    page = browser.new_page()
    assert page.evaluate("1 + 1") == 3, "fails on purpose"


def test_killed_while_running(clickhouse, store, make_server, tmp_path):
    make_server(clickhouse, store, workers=1)
    Path(__import__("os").environ["CLEANUP_READY"]).touch()
    time.sleep(120)
'''


def marked(marker: str) -> list[str]:
    """Every live process whose environment carries the marker, as 'pid command'."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(f"{proc.name} {(proc / 'cmdline').read_bytes()[:120]!r}")
        except OSError:  # gone, or not ours to read
            continue
    return found


def inner_run(tmp_path: Path, *select: str) -> tuple[subprocess.Popen, str, Path]:
    (tmp_path / "inner").mkdir(exist_ok=True)
    test_file = tmp_path / "inner" / "test_inner_cleanup.py"
    test_file.write_text(INNER)
    marker = f"cleanup-probe-{uuid.uuid4().hex}"
    ready = tmp_path / "ready"
    env = {**os.environ, "CLEANUP_PROBE": marker, "CLEANUP_READY": str(ready), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q"]
    command += ["--rootdir", str(tmp_path / "inner"), "--basetemp", str(tmp_path / "base"), str(test_file)]
    command += [arg for name in select for arg in ("-k", name)]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=(tmp_path / "inner.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, marker, ready


def test_failures_inside_fixtures_leave_no_server_or_browser(tmp_path: Path) -> None:
    process, marker, _ = inner_run(tmp_path, "not killed")
    assert process.wait(timeout=240) == 1
    log = (tmp_path / "inner.log").read_text()
    assert "fails on purpose inside the fixture" in log and "2 failed, 1 deselected, 1 error" in log, log
    assert marked(marker) == []


def test_a_killed_test_run_leaves_no_server_behind(tmp_path: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        process, marker, ready = inner_run(tmp_path, "killed")
        try:
            wait_for(ready.exists, timeout_s=120, what="the inner test's servers up")
            assert len(marked(marker)) >= 3, "ClickHouse, the gunicorn master and its worker carry the marker"
            os.kill(process.pid, sig)
            process.wait(timeout=60)
            wait_for(lambda m=marker: marked(m) == [], timeout_s=20, what=f"no process left after {sig.name}")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            ready.unlink(missing_ok=True)
        time.sleep(0.1)
