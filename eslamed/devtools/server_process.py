"""The real server (gunicorn + gevent workers, gunicorn.conf.py) as a subprocess.

Used by the tests and by the load tools, so both exercise exactly the production settings.
`app` swaps the WSGI target (the load benchmark's bare-Flask baseline runs under the same
gunicorn settings); `cpus` pins the master and its workers with taskset; `repo` runs another
checkout (the benchmark compares code before and after a change in one run).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from eslamed.devtools import children
from eslamed.devtools.clickhouse_server import free_port
from eslamed.devtools.paths import REPO

WSGI_APP = "eslamed.wsgi:app"


@dataclass
class ServerProcess:
    env: dict[str, str]
    workdir: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    app: str = WSGI_APP
    cpus: str | None = None
    repo: Path = REPO

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.port}.log"

    def start(self, wait: bool = True) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "ESLAMED_"))}
        env.update(self.env)
        env["ESLAMED_BIND"] = f"127.0.0.1:{self.port}"
        env["ESLAMED_WORKERS"] = str(self.workers)
        if self.repo != REPO:
            env["PYTHONPATH"] = str(self.repo)
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(self.repo / "gunicorn.conf.py"), self.app]
        if self.cpus and shutil.which("taskset"):
            cmd = ["taskset", "-c", self.cpus, *cmd]
        self.process = children.spawn(
            cmd, cwd=self.repo, env=env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT
        )
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.stop(signal.SIGKILL, timeout_s=5)  # a server that did not come up is never left behind
                raise
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.log()}")
            try:
                if (
                    requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
                    and len(self.worker_pids()) >= self.workers
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not up in {timeout_s}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def pids(self) -> list[int]:
        """The master and its live workers (taskset execs in place, so the pid is the master's)."""
        assert self.process is not None
        return [self.process.pid, *self.worker_pids()]

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                children.reap(self.process)
        children.forget(self.process)
        code = self.process.returncode
        self.process = None
        return code
