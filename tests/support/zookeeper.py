"""Debian's ZooKeeper (package `zookeeper`) as a standalone server on loopback in a temp dir."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from eslamed.devtools import children
from eslamed.devtools.clickhouse_server import free_port

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
LOGGER_JAR = Path("/usr/share/java/slf4j-simple.jar")  # without it ZooKeeper logs nothing


def available() -> bool:
    return bool(shutil.which("java")) and ZOOKEEPER_JAR.is_file()


@dataclass
class LocalZooKeeper:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0) -> LocalZooKeeper:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        config = self.root / "zoo.cfg"
        config.write_text(
            f"tickTime=500\ndataDir={self.root}/data\nclientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n"
        )
        # The jar's manifest names its dependencies under /usr/share/java.
        cmd = [
            "java",
            "-Xmx256m",
            "-cp",
            f"{ZOOKEEPER_JAR}:{LOGGER_JAR}",
            "org.apache.zookeeper.server.ZooKeeperServerMain",
        ]
        self.process = children.spawn(
            [*cmd, str(config)], stdout=(self.root / "zookeeper.log").open("ab"), stderr=subprocess.STDOUT
        )
        try:
            return self._wait_serving(timeout_s)
        except BaseException:
            self.stop()
            raise

    def _wait_serving(self, timeout_s: float) -> LocalZooKeeper:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"zookeeper exited {self.process.returncode}; see {self.root}/zookeeper.log"
                )
            if self.ok():
                return self
            time.sleep(0.2)
        raise TimeoutError(f"zookeeper not serving on {self.port} within {timeout_s}s")

    def ok(self) -> bool:
        """Serving sessions, not only listening: ClickHouse 18.16 crashes on a refused handshake."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"srvr")
                return b"Mode: standalone" in sock.recv(4096)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process:
            children.reap(self.process)
        self.process = None
