"""The README's run command: ClickHouse in ./var, schema, site, then gunicorn on :8000.

Values already in the environment (or .env) win; otherwise local defaults are used and a
random admin secret is generated once and kept in var/admin_secret.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from eslamed.devtools.clickhouse_server import LocalClickHouse

REPO = Path(__file__).resolve().parents[2]
VAR = REPO / "var"
SHARED_GEOIP = REPO.parent / "shared" / "geoip" / "GeoIP2-City-Test.mmdb"


def admin_secret() -> str:
    path = VAR / "admin_secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> int:
    VAR.mkdir(exist_ok=True)
    clickhouse = LocalClickHouse(
        VAR / "clickhouse",
        tcp_port=int(os.environ.get("LOCAL_CLICKHOUSE_PORT", "19000")),
        http_port=int(os.environ.get("LOCAL_CLICKHOUSE_HTTP_PORT", "18123")),
    )
    clickhouse.start()
    env = dict(os.environ)
    env.setdefault("CLICKHOUSE_URL", f"{clickhouse.url}/eslamed")
    env.setdefault("ADMIN_SECRET", admin_secret())
    env.setdefault("GEOIP_CITY_DB", str(SHARED_GEOIP))
    env.setdefault("SPOOL_DIR", str(VAR / "spool"))
    env.setdefault("DATA_DIR", str(VAR / "data"))
    env.setdefault("SITE_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
    eslamed = [sys.executable, "-m", "eslamed.cli"]
    try:
        subprocess.run([*eslamed, "migrate"], env=env, cwd=REPO, check=True)
        subprocess.run([*eslamed, "site", "build"], env=env, cwd=REPO, check=True)
        print("\nEslamed Capture on http://127.0.0.1:8000   admin: http://127.0.0.1:8000/admin/")
        print(f"ADMIN_SECRET={env['ADMIN_SECRET']}\n", flush=True)
        server = subprocess.Popen([*eslamed, "serve", "--bind", "127.0.0.1:8000"], env=env, cwd=REPO)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.terminate()
            return server.wait()
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        clickhouse.stop()


if __name__ == "__main__":
    raise SystemExit(main())
