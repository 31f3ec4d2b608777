"""The real server for a test: `ServerProcess` (shared with the load tools) and the test settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from eslamed.devtools.server_process import ServerProcess
from tests.support.paths import GEOIP_CITY, REPO

__all__ = ["METRICS_AUTH", "METRICS_TOKEN", "ServerProcess", "base_env"]

METRICS_TOKEN = "test-metrics-token-0123456789abcdef"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def base_env(clickhouse_url: str, database: str, workdir: Path) -> dict[str, str]:
    """A ClickHouse timeout that a busy test machine does not trip: a lead stored in 1.2 s would be answered
    202 (journaled) instead of 201. A stopped ClickHouse refuses connections at once, whatever the timeout."""
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
        "CLICKHOUSE_TIMEOUT_S": "5",
        "METRICS_TOKEN": METRICS_TOKEN,
    }


def run_cli(env: dict[str, str], *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    """`eslamed <args>` in a child process with exactly this environment, as cron would run it."""
    return subprocess.run(
        [sys.executable, "-m", "eslamed.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
