"""The real server for a test: `ServerProcess` (shared with the load tools) and the test settings."""

from __future__ import annotations

from pathlib import Path

from eslamed.devtools.server_process import ServerProcess
from tests.support.paths import GEOIP_CITY

__all__ = ["ServerProcess", "base_env"]


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
