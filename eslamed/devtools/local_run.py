"""The README's run command: ClickHouse in ./var, schema, site, then gunicorn on :8000.

Values already in the environment (or .env) win; otherwise local defaults are used and a
random admin secret is generated once and kept in var/admin_secret. On an empty database a demo
week is first played through the endpoints of a separate server on a moved clock
(eslamed.devtools.demo_traffic); ESLAMED_DEMO=0 skips it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import requests

from eslamed.core.config import load_settings
from eslamed.core.store import Store, StoreUnavailable
from eslamed.devtools import demo_spend, demo_traffic, geoip_sample
from eslamed.devtools.clickhouse_server import LocalClickHouse
from eslamed.devtools.fake_clock import FakeClock
from eslamed.devtools.server_process import ServerProcess

REPO = Path(__file__).resolve().parents[2]
VAR = REPO / "var"
SAMPLE_GEOIP = VAR / "geoip" / "eslamed-istanbul-sample.mmdb"


def admin_secret() -> str:
    path = VAR / "admin_secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def demo(env: dict[str, str], site: str) -> None:
    """The demo week, played before the real server starts on a one-worker server whose clock the demo
    moves through the week; a failure is reported and the real server starts anyway."""
    clock = FakeClock(VAR / "demo-clock")
    workdir = VAR / "demo"
    workdir.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    try:
        faked = clock.env(start=demo_traffic.week_start(now))
        # the demo client stands in for the site's proxy: its X-Forwarded-For carries each visitor's address
        demo_env = {**env, **faked, "FLUSH_INTERVAL_S": "0.2", "TRUSTED_PROXIES": "127.0.0.1/32"}
        server = ServerProcess(demo_env, workdir, workers=1)
    except RuntimeError as exc:
        print(f"demo data skipped: {exc}", flush=True)
        return
    seeded = None
    try:
        server.start()
        seeded = demo_traffic.seed(
            server.url,
            env["ADMIN_SECRET"],
            clock,
            now,
            progress=lambda line: print(line, flush=True),
            site=site,
        )
    except (requests.RequestException, RuntimeError, TimeoutError) as exc:
        print(f"demo data failed: {exc} (log: {server.log_path})", flush=True)
    finally:
        server.stop()
    if seeded is not None:
        demo_ad_spend(env, now)


def demo_ad_spend(env: dict[str, str], now: datetime) -> None:
    """The demo week's spend, imported from a local Google Ads peer by the server's own import code."""
    settings = load_settings(env=env)
    store = Store(settings.clickhouse, timeout_s=10.0)
    try:
        report = demo_spend.play(settings, store, now)
    except StoreUnavailable as exc:
        print(f"demo ad spend failed: {exc}", flush=True)
        return
    finally:
        store.close()
    outcome = f"failed: {report.reason}" if not report.ok else f"{report.clicks_mapped} ad clicks mapped"
    print(f"demo ad spend: {report.rows} campaign-days from the local Google Ads peer, {outcome}", flush=True)


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
    if "GEOIP_CITY_DB" not in env:
        env["GEOIP_CITY_DB"] = str(geoip_sample.build(SAMPLE_GEOIP))
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
        if env.get("ESLAMED_DEMO", "1") != "0":
            demo(env, env["PUBLIC_BASE_URL"])
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
