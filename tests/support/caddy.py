"""Debian's Caddy running the shipped ops/Caddyfile in front of a test server.

The file is used as shipped; only what differs on a test box is set: the site address
and upstream through the environment variables the file reads, and the admin endpoint
(default localhost:2019, which parallel runs would fight over) on a free port.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from eslamed.devtools import children
from eslamed.devtools.clickhouse_server import free_ports
from eslamed.devtools.server_process import ServerProcess
from tests.support.paths import REPO

CADDYFILE = REPO / "ops" / "Caddyfile"


def caddyfile_for_tests(admin_port: int) -> str:
    shipped = CADDYFILE.read_text()
    assert shipped.startswith("{\n"), "ops/Caddyfile opens with its global options block"
    # default_bind: the test's listeners on loopback only, as the ports were picked there; a wildcard bind
    # also collides with the loopback clients' own ports (127.0.0.2, .3 … as source addresses)
    return shipped.replace("{\n", f"{{\n\tadmin 127.0.0.1:{admin_port}\n\tdefault_bind 127.0.0.1\n", 1)


class CaddyProcess:
    def __init__(self, workdir: Path, upstream_port: int) -> None:
        self.workdir = workdir
        self.upstream_port = upstream_port
        # three listeners of one Caddy (site, admin host, its admin API): three different ports
        self.port, self.admin_port, self.api_port = free_ports(3)
        self.process: subprocess.Popen | None = None
        self.app: ServerProcess | None = None  # the server behind it, for tests that read its workers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The admin's own origin (ADMIN_DOMAIN), served by the same Caddy."""
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self) -> CaddyProcess:
        caddy = shutil.which("caddy")
        assert caddy, "Debian's caddy package is needed (ops/dev.sh installs it)"
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "Caddyfile"
        config.write_text(caddyfile_for_tests(self.api_port))
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.workdir),
            "XDG_DATA_HOME": str(self.workdir / "data"),
            "XDG_CONFIG_HOME": str(self.workdir / "config"),
            "SITE_DOMAIN": self.url,
            "ADMIN_DOMAIN": self.admin_url,
            "ACME_EMAIL": "owner@eslamed.example",
            "APP_UPSTREAM": f"127.0.0.1:{self.upstream_port}",
        }
        log = (self.workdir / "caddy.log").open("wb")
        self.process = children.spawn(
            [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.workdir / "caddy.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("caddy did not start: " + (self.workdir / "caddy.log").read_text())

    def stop(self) -> None:
        if self.process is not None:
            children.reap(self.process, signal.SIGTERM)
