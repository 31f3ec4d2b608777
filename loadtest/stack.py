"""The system under load, started the way production runs it: ClickHouse capped for a 4 GB
box, schema applied, gunicorn with gunicorn.conf.py, both pinned to the server's CPUs."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from eslamed.core.config import parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse
from eslamed.devtools.paths import GEOIP_CITY
from eslamed.devtools.server_process import ServerProcess
from loadtest.procstat import cpu_ms, tree_cpu_ms

# A fresh secret per run; the locust admin user gets it through the environment.
ADMIN_SECRET = secrets.token_urlsafe(32)
METRICS_TOKEN = secrets.token_hex(24)
DATABASE = "loadtest"
CLICKHOUSE_QUERY_MEMORY = 1 * 1024**3
CLICKHOUSE_SERVER_MEMORY = 2 * 1024**3
SITE_ORIGIN = "https://eslamed.example"


def split_cpus(server_cpus: str | None) -> tuple[str | None, str | None]:
    """Server CPUs and load-generator CPUs: 0-1 for the server and the rest for the client when
    the machine has 4+ cores; on a smaller box everything shares (the CPU-ms figure still holds)."""
    count = os.cpu_count() or 1
    if server_cpus == "none":
        return None, None
    if server_cpus:
        return server_cpus, None
    if count >= 4:
        return "0-1", f"2-{count - 1}"
    return f"0-{min(count, 2) - 1}", None


def server_env(clickhouse_url: str, workdir: Path, spool: Path, **overrides: str) -> dict[str, str]:
    """Production settings except: loopback is Cloudflare (the load generator sends the
    visitor address in CF-Connecting-IP, as Cloudflare would)."""
    geoip = os.environ.get("GEOIP_CITY_DB") or str(GEOIP_CITY)
    env = {
        "CLICKHOUSE_URL": f"{clickhouse_url}/{DATABASE}",
        "ADMIN_SECRET": ADMIN_SECRET,
        "GEOIP_CITY_DB": geoip,
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "CLOUDFLARE_PROXIES": "127.0.0.1/32",
        "METRICS_TOKEN": METRICS_TOKEN,
        "SPOOL_DIR": str(spool),
        "DATA_DIR": str(workdir / "data"),
        "SITE_ORIGINS": SITE_ORIGIN,
        "ESLAMED_ENV": "production",
    }
    env.update(overrides)
    return env


def spool_dir(name: str) -> Path:
    """A directory in shared memory (/dev/shm) when the machine has it: `--spool-shm`, and
    bench_track's ClickHouse data by default (see its module doc)."""
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    return Path(tempfile.mkdtemp(prefix=f"eslamed-{name}-", dir=base))


@dataclass
class Stack:
    workdir: Path
    clickhouse: LocalClickHouse
    store: Store
    server_cpus: str | None
    spool_shm: bool = False
    """False: the rings' spool on disk in the work dir, as ops/docker-compose.yml deploys them."""

    @classmethod
    def start_clickhouse(cls, workdir: Path, server_cpus: str | None, root: Path | None = None) -> Stack:
        """`root`: where ClickHouse keeps its data (default: inside workdir, on disk)."""
        clickhouse = LocalClickHouse(
            root or workdir / "clickhouse",
            max_memory=CLICKHOUSE_QUERY_MEMORY,
            # caps the whole server on releases that know the key; 18.16 ignores it
            extra_config=f"<max_server_memory_usage>{CLICKHOUSE_SERVER_MEMORY}</max_server_memory_usage>",
        )
        clickhouse.start(cpus=server_cpus)
        store = Store(parse_clickhouse_url(f"{clickhouse.url}/{DATABASE}"), timeout_s=30.0)
        store.migrate()
        return cls(workdir, clickhouse, store, server_cpus)

    def server(
        self, name: str, app: str | None = None, workers: int = 2, repo: Path | None = None, **env: str
    ) -> ServerProcess:
        workdir = self.workdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        spool = spool_dir(name) if self.spool_shm else workdir / "spool"
        process = ServerProcess(
            server_env(self.clickhouse.url, workdir, spool, **env),
            workdir,
            workers=workers,
            cpus=self.server_cpus,
        )
        if app:
            process.app = app
        if repo:
            process.repo = repo.resolve()
        return process.start()

    def restart_clickhouse(self) -> None:
        self.clickhouse.start(cpus=self.server_cpus)

    def clickhouse_cpu_ms(self) -> float:
        process = self.clickhouse.process
        return cpu_ms(process.pid) if process else 0.0

    def settle(self, timeout_s: float = 120.0, quiet_ms_per_s: float = 50.0) -> float:
        """Wait until ClickHouse has finished its merges and is idle; seconds waited. Between
        rounds, so that merging one server's events never steals CPU from the next round."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            before = self.clickhouse_cpu_ms()
            time.sleep(0.5)
            quiet = (self.clickhouse_cpu_ms() - before) * 2 < quiet_ms_per_s
            if quiet and not self.store.query("SELECT count() FROM system.merges")[0][0]:
                break
        return time.monotonic() - started

    def close(self) -> None:
        self.store.close()
        self.clickhouse.stop()


def server_cpu_ms(server: ServerProcess) -> float:
    assert server.process is not None
    return tree_cpu_ms(server.process.pid, server.worker_pids())


def stop_server(server: ServerProcess) -> None:
    spool = Path(server.env["SPOOL_DIR"])
    server.stop()
    shutil.rmtree(spool, ignore_errors=True)


def prometheus_values(url: str) -> dict[str, float]:
    """Unlabelled samples from /metrics (labelled ones summed under their bare name)."""
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    text = requests.get(f"{url}/metrics", headers=auth, timeout=5).text
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        bare = name.split("{")[0]
        values[bare] = values.get(bare, 0.0) + float(value)
    return values


def event_counts(store: Store) -> tuple[int, int]:
    from eslamed.core.sql import events as sql

    count, unique = store.query(sql.COUNT.format(db=store.database))[0]
    return int(count), int(unique)


def wait_stored(store: Store, expected: int, timeout_s: float) -> tuple[int, int, float]:
    """Poll until `expected` distinct events are in ClickHouse; (count, unique, seconds waited)."""
    started = time.monotonic()
    while True:
        count, unique = event_counts(store)
        waited = time.monotonic() - started
        if unique >= expected or waited > timeout_s:
            return count, unique, waited
        time.sleep(0.25)
