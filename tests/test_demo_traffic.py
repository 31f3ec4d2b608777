"""The demo week of `bash ops/dev.sh run` goes through the real endpoints of a running server (issue 13 item 10)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import requests

from eslamed.devtools import demo_traffic
from tests.support.admin import AUTH, SECRET
from tests.support.leads import lead_env


def test_demo_week_arrives_through_the_endpoints_once(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1, **lead_env())
    lines: list[str] = []
    now = datetime.now(UTC)
    seeded = demo_traffic.seed(server.url, SECRET, progress=lines.append, now=now, rng_seed=13)
    assert seeded is not None and seeded.visits >= 90 and seeded.sales == 4
    assert lines[0].startswith("demo data: ") and lines[-1].startswith("demo data ready: ")

    db = store.database
    days = store.query(f"SELECT uniqExact(toDate(ts, 'Europe/Istanbul')), count() FROM {db}.events")[0]
    # three or four Istanbul dates, by the hour the demo starts at (the last 71 hours' waking hours)
    planned = {
        v.started.astimezone(demo_traffic.ISTANBUL).date()
        for v in demo_traffic.plan_visits(now, random.Random(13))
    }
    assert len(planned) >= 3
    assert days == (len(planned), seeded.events), "events keep their browser time over three days"
    bots = store.query(f"SELECT count() FROM {db}.events WHERE device NOT IN ('mobile', 'desktop', 'tablet')")
    assert bots == [(0,)]

    listed = requests.get(f"{server.url}/api/admin/leads?limit=100", headers=AUTH, timeout=10).json()
    assert len(listed["leads"]) == len(seeded.leads) and listed["counts"]["SPAM"] == 1
    assert listed["counts"]["CONVERTED"] == 4 and listed["counts"]["LOST"] == 1
    paid = [lead for lead in listed["leads"] if lead["gclid"]]
    assert paid, "some leads came from ad clicks"
    detail = requests.get(f"{server.url}/api/admin/leads/{paid[0]['id']}", headers=AUTH, timeout=10).json()
    assert detail["journey"]["events"] and detail["lead"]["utm_term"], "the journey and keyword are there"
    sales = requests.get(f"{server.url}/api/admin/conversions", headers=AUTH, timeout=10).json()
    assert len({sale["closed_at"][:10] for sale in sales["conversions"]}) == 4, "sales on four days"

    assert demo_traffic.seed(server.url, SECRET, progress=lines.append) is None, "only on an empty database"
    assert lines[-1] == "demo data: the database already has leads, nothing added"
