"""Admin API benchmark: a year of data (1,000,000 events, 5,000 leads) and p50/p99 per endpoint.

Starts its own ClickHouse (Debian 18.16) and gunicorn on loopback, seeds with columnar inserts
in chunks (progress printed), then times each admin endpoint sequentially over HTTP. Results go
to loadtest/results/bench_admin-<UTC time>.json (git-ignored). Goal: every stats call p50 < 300 ms.

    PYTHONPATH=$PWD .venv/bin/python loadtest/bench_admin.py [--events 1000000] [--leads 5000] [--compare DIR]

With `--compare DIR` (another checkout, e.g. before a change) a second server from DIR reads the same
database; the two are timed in turns, endpoint by endpoint, and the ratio of their p50s is printed. The
seeded year also has a year of ad spend for five campaigns and every ad lead's click mapped to one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import requests

from eslamed.core.config import parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse, free_port
from eslamed.devtools.paths import GEOIP_CITY

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "loadtest" / "results"
UA = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile"
CHUNK = 100_000

SOURCES = ["paid"] * 5 + ["organic"] * 3 + ["direct"] * 2 + ["referral", "social"]
CAMPAIGNS = ["", "pmax-istanbul", "pmax-ankara", "arama-oksijen", "arama-kiralik", "marka"]
CITIES = ["Istanbul"] * 8 + ["Ankara", "Izmir", "Bursa", "Kocaeli", "Antalya", "Konya", "Tekirdag", "Sakarya"]
DEVICES = ["mobile"] * 7 + ["desktop"] * 2 + ["tablet"]
PAGES = ["/", "/oksijen-konsantratoru", "/kiralik-oksijen", "/fiyat", "/iletisim", "/tup-dolum"]
EVENT_COLUMNS = (
    "event_id",
    "type",
    "ts",
    "received_at",
    "visitor_id",
    "session_id",
    "url",
    "path",
    "source",
    "gclid",
    "utm_campaign",
    "variant",
    "country",
    "city",
    "device",
)


def generate_events(rng: random.Random, total: int, start: datetime, span_s: int):
    """Sessions of 1 to 8 events (first a pageview, ~12% with a call or WhatsApp click), in columns."""
    columns: dict[str, list] = {c: [] for c in EVENT_COLUMNS}
    visitors = max(1, total // 7)
    made = 0
    while made < total:
        visitor = f"v{rng.randrange(visitors)}"
        session = uuid.UUID(int=rng.getrandbits(128)).hex
        ts = start + timedelta(seconds=rng.randrange(span_s))
        source, city, device = rng.choice(SOURCES), rng.choice(CITIES), rng.choice(DEVICES)
        campaign = rng.choice(CAMPAIGNS[1:]) if source == "paid" else ""
        gclid = f"G{rng.getrandbits(48):x}" if source == "paid" else ""
        variant = rng.choice("ab")
        for i in range(min(rng.randint(1, 8), total - made)):
            kind = (
                "pageview"
                if i == 0 or rng.random() < 0.6
                else rng.choice(["scroll", "click", "call_click", "whatsapp_click"])
            )
            path = rng.choice(PAGES)
            event_ts = ts + timedelta(seconds=20 * i)
            for name, value in (
                ("event_id", uuid.UUID(int=rng.getrandbits(128))),
                ("type", kind),
                ("ts", event_ts),
                ("received_at", event_ts),
                ("visitor_id", visitor),
                ("session_id", session),
                ("url", f"https://eslamed.example{path}"),
                ("path", path),
                ("source", source),
                ("gclid", gclid if i == 0 else ""),
                ("utm_campaign", campaign),
                ("variant", variant),
                ("country", "TR"),
                ("city", city),
                ("device", device),
            ):
                columns[name].append(value)
            made += 1
            if len(columns["event_id"]) >= CHUNK:
                yield columns
                columns = {c: [] for c in EVENT_COLUMNS}
    if columns["event_id"]:
        yield columns


def insert_columns(store: Store, table: str, columns: dict[str, list]) -> None:
    sql = f"INSERT INTO {store.database}.{table} ({', '.join(columns)}) VALUES"
    with store.connection() as client:
        client.execute(sql, list(columns.values()), columnar=True)


def seed(store: Store, events: int, leads: int, rng: random.Random) -> list[str]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    start, span = now - timedelta(days=365), 365 * 86400
    began, done = time.monotonic(), 0
    for columns in generate_events(rng, events, start, span):
        insert_columns(store, "events", columns)
        done += len(columns["event_id"])
        print(f"  events {done:>9,}/{events:,}  {time.monotonic() - began:5.1f} s", flush=True)
    lead_rows, conversions, lead_ids = [], [], []
    for n in range(leads):
        lead_id = uuid.UUID(int=rng.getrandbits(128))
        created = start + timedelta(seconds=rng.randrange(span))
        status = rng.choice(["NEW", "CONTACTED", "CONTACTED", "LOST", "SPAM", "CONVERTED"])
        source = rng.choice(SOURCES)
        lead_rows.append(
            {
                "lead_id": lead_id,
                "version": n + 1,
                "created_at": created,
                "updated_at": created,
                "status": status,
                "source": rng.choice(["form", "whatsapp", "call"]),
                "name": f"Müşteri {n}",
                "phone": f"+90532{rng.randrange(10**7):07d}",
                "visitor_id": f"v{rng.randrange(max(1, events // 7))}",
                "first_source": source,
                "last_source": source,
                "utm_campaign": rng.choice(CAMPAIGNS[1:]) if source == "paid" else "",
                "variant": rng.choice("ab"),
                "city": rng.choice(CITIES),
                "device": rng.choice(DEVICES),
                "consent": 1,
            }
        )
        lead_ids.append(str(lead_id))
        if status == "CONVERTED":
            closed = min(now, created + timedelta(days=rng.randint(0, 10)))
            conversions.append(
                {
                    "conversion_id": uuid.UUID(int=rng.getrandbits(128)),
                    "version": 1,
                    "lead_id": lead_id,
                    "created_at": closed,
                    "updated_at": closed,
                    "closed_at": closed,
                    "revenue": Decimal(rng.randrange(2000, 60000)),
                    "currency": "TRY",
                    "deal_type": rng.choice(["satis", "kiralama"]),
                    "deal_seq": 1,
                    "state": rng.choice(["PENDING", "UPLOADED", "UPLOADED", "RETRY", "FAILED"]),
                }
            )
    store.insert_rows("leads", lead_rows)
    store.insert_rows("conversions", conversions)
    print(f"  leads {leads:,}, conversions {len(conversions):,}", flush=True)
    return lead_ids


def seed_spend(store: Store, rng: random.Random) -> None:
    """A year of daily spend per campaign and the campaign of every lead's gclid, as `eslamed ads costs`
    stores them (a second version of the last 7 days, as the trailing re-import writes)."""
    today = date.today()
    ids = {name: 21_000_000_000 + i for i, name in enumerate(c for c in CAMPAIGNS if c)}
    rows = []
    for version in (1, 2):
        for name, campaign_id in ids.items():
            for back in range(365 if version == 1 else 7):
                rows.append(
                    {
                        "customer_id": "1234567890",
                        "campaign_id": campaign_id,
                        "day": today - timedelta(days=back),
                        "version": version,
                        "campaign_name": name,
                        "currency": "TRY",
                        "cost_micros": rng.randrange(100, 900) * 1_000_000,
                        "clicks": rng.randrange(5, 60),
                        "impressions": rng.randrange(500, 5000),
                        "imported_at": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
                    }
                )
    store.insert_rows("ad_costs", rows)
    db = store.database
    clicks = store.query(
        f"SELECT DISTINCT gclid, utm_campaign, toDate(created_at) FROM {db}.leads WHERE gclid != ''"
    )
    store.insert_rows(
        "ad_clicks",
        [
            {
                "gclid": g,
                "version": 1,
                "customer_id": "1234567890",
                "campaign_id": ids.get(c, 21_000_000_000),
                "day": d,
            }
            for g, c, d in clicks
        ],
    )
    print(f"  ad spend {len(rows):,} campaign-days, {len(clicks):,} clicks mapped", flush=True)


def start_server(
    clickhouse_url: str, secret: str, workdir: Path, repo: Path = REPO
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "ESLAMED_"))}
    if repo != REPO:
        env["PYTHONPATH"] = str(repo)
    env.update(
        CLICKHOUSE_URL=clickhouse_url,
        ADMIN_SECRET=secret,
        GEOIP_CITY_DB=str(GEOIP_CITY),
        SPOOL_DIR=str(workdir / "spool"),
        DATA_DIR=str(workdir / "data"),
        CLICKHOUSE_TIMEOUT_S="10",
        ESLAMED_BIND=f"127.0.0.1:{port}",
        ESLAMED_WORKERS="2",
        ESLAMED_LOG_LEVEL="warning",
        ADMIN_FAIL_LIMIT="1000/minute",
    )
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(repo / "gunicorn.conf.py"), "eslamed.wsgi:app"]
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(
        cmd, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"server did not start; see {workdir / 'server.log'}")


def time_endpoint(session: requests.Session, url: str, runs: int) -> dict[str, float]:
    """The first call is reported apart ('cold'): for stats it fills the daily cache of settled days."""
    began = time.perf_counter()
    session.get(url, timeout=120).raise_for_status()
    cold = (time.perf_counter() - began) * 1000
    for _ in range(2):
        session.get(url, timeout=30).raise_for_status()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        session.get(url, timeout=30).raise_for_status()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "cold_ms": round(cold, 1),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--compare", type=Path, help="another checkout, timed in turns on the same data")
    args = parser.parse_args()
    rng = random.Random(20261126)
    secret = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="bench-admin-") as tmp:
        workdir = Path(tmp)
        clickhouse = LocalClickHouse(workdir / "clickhouse")
        clickhouse.start()
        server = other = None
        try:
            url = f"{clickhouse.url}/bench"
            store = Store(parse_clickhouse_url(url), timeout_s=30)
            store.migrate()
            print(f"seeding {args.events:,} events and {args.leads:,} leads", flush=True)
            lead_ids = seed(store, args.events, args.leads, rng)
            seed_spend(store, rng)
            with store.connection() as client:
                client.execute(f"OPTIMIZE TABLE {store.database}.events FINAL")
            server, base = start_server(url, secret, workdir)
            if args.compare:
                other, other_base = start_server(url, secret, workdir / "compare", args.compare.resolve())
            today = date.today()
            endpoints = {
                "stats 7 days": f"/api/admin/stats?from={today - timedelta(days=6)}&to={today}",
                "stats 30 days": f"/api/admin/stats?from={today - timedelta(days=29)}&to={today}",
                "stats 90 days": f"/api/admin/stats?from={today - timedelta(days=89)}&to={today}",
                "stats 365 days": f"/api/admin/stats?from={today - timedelta(days=364)}&to={today}",
                "leads list": "/api/admin/leads?limit=50",
                "leads search by phone": "/api/admin/leads?q=0532%201",
                "lead detail + journey": f"/api/admin/leads/{lead_ids[len(lead_ids) // 2]}",
                "conversions": "/api/admin/conversions",
            }
            session = requests.Session()
            session.headers.update({"X-Admin-Secret": secret, "User-Agent": UA})
            results, compared = {}, {}
            extra = f" {'--compare p50':>14} {'ratio':>6}" if other else ""
            print(f"\n{'endpoint':<24} {'p50 ms':>8} {'p99 ms':>8} {'cold ms':>8}{extra}")
            for name, path in endpoints.items():
                if other:  # the other server first: it is the one whose cold call fills the stats cache
                    compared[name] = time_endpoint(session, f"{other_base}{path}", args.runs)
                results[name] = time_endpoint(session, f"{base}{path}", args.runs)
                r = results[name]
                line = f"{name:<24} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['cold_ms']:>8}"
                if other:
                    c = compared[name]
                    line += f" {c['p50_ms']:>14} {r['p50_ms'] / c['p50_ms']:>6.2f}"
                print(line, flush=True)
        finally:
            for process in (server, other):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
            clickhouse.stop()
    slow = [name for name, r in results.items() if name.startswith("stats") and r["p50_ms"] >= 300]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench_admin-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "events": args.events,
                "leads": args.leads,
                "cpus": os.cpu_count(),
                "results": results,
                "compare": {"checkout": str(args.compare), "results": compared} if args.compare else None,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out}")
    print("goal met: every stats call p50 < 300 ms" if not slow else f"goal MISSED for: {', '.join(slow)}")
    return 0 if not slow else 1


if __name__ == "__main__":
    raise SystemExit(main())
