"""Start Debian's `clickhouse-server` as an ordinary process with its data in a given directory.

Used by the README's run command (data under ./var/clickhouse) and by the tests (a temp
dir, free ports). The process can be stopped, paused and restarted to stage outages.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from eslamed.devtools import children

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/log/server.log</log><errorlog>{root}/log/error.log</errorlog>
        <size>10M</size><count>2</count></logger>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <tcp_port>{tcp_port}</tcp_port>
    <http_port>{http_port}</http_port>
    <listen_host>127.0.0.1</listen_host>
    <users_config>{root}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
{extra_config}
</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>{max_memory}</max_memory_usage></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
"""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free ports: all held at once while they are picked, since a port released
    and asked for again can come back as the same number."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def server_binary() -> str:
    for candidate in ("clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"):
        found = shutil.which(candidate)
        if found:
            return found
    raise FileNotFoundError("clickhouse-server not found; install the Debian package clickhouse-server")


@dataclass
class LocalClickHouse:
    root: Path
    tcp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    max_memory: int = 2 * 1024**3
    extra_config: str = ""  # more top-level XML, e.g. <zookeeper>, <macros>, <remote_servers>
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"clickhouse://default:@127.0.0.1:{self.tcp_port}"

    def write_config(self) -> Path:
        for sub in ("data", "tmp", "log", "format_schemas"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "users.xml").write_text(USERS.format(max_memory=self.max_memory))
        config = self.root / "config.xml"
        config.write_text(
            CONFIG.format(
                root=self.root,
                tcp_port=self.tcp_port,
                http_port=self.http_port,
                extra_config=self.extra_config,
            )
        )
        return config

    def start(self, timeout_s: float = 30.0, cpus: str | None = None) -> None:
        config = self.write_config()
        cmd = [server_binary(), f"--config-file={config}"]
        if cpus:
            cmd = ["taskset", "-c", cpus, *cmd]
        log = (self.root / "log" / "stdout.log").open("ab")
        self.process = children.spawn(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        try:
            self._wait_listening(timeout_s)
        except BaseException:
            self.stop()  # a server that did not come up is never left behind
            raise

    def _wait_listening(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"clickhouse-server exited with {self.process.returncode}; see {self.root}/log"
                )
            if self.accepting():
                return
            time.sleep(0.1)
        raise TimeoutError(f"clickhouse-server did not listen on {self.tcp_port} within {timeout_s}s")

    def accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        children.reap(self.process)
        self.process = None
        deadline = time.monotonic() + 10
        while self.accepting() and time.monotonic() < deadline:
            time.sleep(0.1)

    def pause(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()
