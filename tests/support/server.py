"""Run the real server (gunicorn + gevent workers, gunicorn.conf.py) as a subprocess for a test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from eslamed.devtools.clickhouse_server import free_port
from tests.support.paths import GEOIP_CITY, REPO


def base_env(clickhouse_url: str, database: str, workdir: Path) -> dict[str, str]:
    return {
        "CLICKHOUSE_URL": f"{clickhouse_url}/{database}",
        "ADMIN_SECRET": "test-admin-secret-0123456789abcdef",
        "GEOIP_CITY_DB": str(GEOIP_CITY),
        "TRUSTED_PROXIES": "127.0.0.2/32",
        "SPOOL_DIR": str(workdir / "spool"),
        "DATA_DIR": str(workdir / "data"),
        "SITE_ORIGINS": "https://eslamed.example",
        "FLUSH_INTERVAL_S": "0.2",
        "TRACK_RATE_LIMIT": "100000/minute",
        "CLICKHOUSE_TIMEOUT_S": "1",
    }


@dataclass
class ServerProcess:
    env: dict[str, str]
    workdir: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

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
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"), "eslamed.wsgi:app"]
        self.process = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready()
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
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code
