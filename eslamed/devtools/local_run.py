"""The README's run command: ClickHouse in ./var, schema, site, then gunicorn on :8000.

Values already in the environment (or .env) win; otherwise local defaults are used and a
random admin secret is generated once and kept in var/admin_secret. On an empty database the
running server is given a demo week through its own endpoints (eslamed.devtools.demo_traffic);
ESLAMED_DEMO=0 skips it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from eslamed.devtools import demo_traffic
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


def wait_ready(url: str, server: subprocess.Popen, timeout_s: float = 90) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def demo(url: str, secret: str, server: subprocess.Popen) -> None:
    """The demo week, sent to the running server; a failure is reported, the server keeps running."""
    if not wait_ready(url, server):
        print("demo data: the server did not become ready, skipped", flush=True)
        return
    try:
        demo_traffic.seed(url, secret, progress=lambda line: print(line, flush=True))
    except (requests.RequestException, RuntimeError) as exc:
        print(f"demo data failed: {exc}", flush=True)


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
    # every local request comes from 127.0.0.1: the production limits would throttle one person's testing
    env.setdefault("LEAD_RATE_LIMIT", "120/minute")
    env.setdefault("TRACK_RATE_LIMIT", "6000/minute")
    env.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    eslamed = [sys.executable, "-m", "eslamed.cli"]
    try:
        subprocess.run([*eslamed, "migrate"], env=env, cwd=REPO, check=True)
        subprocess.run([*eslamed, "site", "build"], env=env, cwd=REPO, check=True)
        print("\nEslamed Capture on http://127.0.0.1:8000   admin: http://127.0.0.1:8000/admin/")
        print(f"ADMIN_SECRET={env['ADMIN_SECRET']}\n", flush=True)
        server = subprocess.Popen([*eslamed, "serve", "--bind", "127.0.0.1:8000"], env=env, cwd=REPO)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            if env.get("ESLAMED_DEMO", "1") != "0":
                demo("http://127.0.0.1:8000", env["ADMIN_SECRET"], server)
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
