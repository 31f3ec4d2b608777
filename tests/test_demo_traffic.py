"""The demo week of `bash ops/dev.sh run` goes through the real endpoints of a running server (issue 13 item 10)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import requests

from eslamed.devtools import demo_traffic
from tests.support.admin import AUTH, SECRET
from tests.support.demo import demo_week_server
from tests.support.leads import SITE
from tests.support.polling import wait_for


def istanbul_day(at: datetime) -> str:
    return at.astimezone(demo_traffic.ISTANBUL).date().isoformat()


def test_demo_week_arrives_through_the_endpoints_once(clickhouse, store, make_server, tmp_path) -> None:
    now = datetime.now(UTC)
    server, clock = demo_week_server(make_server, clickhouse, store, tmp_path, now)
    lines: list[str] = []
    seeded = demo_traffic.seed(server.url, SECRET, clock, now, lines.append, rng_seed=13, site=SITE)
    steps = demo_traffic.plan_week(now, random.Random(13))
    visits = [s.visit for s in steps if s.kind == "visit"]
    leads = {s.body["lead_id"]: s.at for s in steps if s.kind == "lead"}
    sales = {s.path.split("/")[2]: s.at for s in steps if s.path.endswith("/convert")}
    assert seeded is not None and seeded.visits == len(visits) == demo_traffic.VISITS
    assert sorted(seeded.leads) == sorted(leads) and seeded.sales == len(sales) == 4
    assert lines[0].startswith("demo data: a week of ") and lines[-1].startswith("demo data ready: ")
    assert sum(line.startswith("  ") for line in lines) >= 7, "progress: one line per day of the week"

    db = store.database
    planned_days = {istanbul_day(t) for v in visits for t in v.page_times}
    assert len(planned_days) >= 7
    # uniqExact: a flush cut short by a step of the clock is retried, and the at-least-once ring may
    # store a batch twice, which ReplacingMergeTree merges by event_id
    query = f"SELECT uniqExact(toDate(ts, 'Europe/Istanbul')), uniqExact(event_id) FROM {db}.events"
    wanted = (len(planned_days), seeded.events)
    # events keep their browser time over the week; the last ones are in the ring for a moment after the 202
    wait_for(lambda: store.query(query)[0] == wanted, what=f"(days, events) {wanted} in ClickHouse")
    bots = store.query(f"SELECT count() FROM {db}.events WHERE device NOT IN ('mobile', 'desktop', 'tablet')")
    assert bots == [(0,)]

    # the server's clock was where the plan put it: each lead and sale is stamped with its moment
    created = store.query(f"SELECT toString(lead_id), min(created_at) FROM {db}.leads GROUP BY lead_id")
    closed = store.query(f"SELECT toString(lead_id), min(closed_at) FROM {db}.conversions GROUP BY lead_id")
    for stamped, planned in ((dict(created), leads), (dict(closed), sales)):
        assert stamped.keys() == planned.keys()
        for key, at in planned.items():
            assert (
                timedelta(0)
                <= stamped[key].replace(tzinfo=UTC) - at.replace(microsecond=0)
                < timedelta(seconds=30)
            )
    assert len({istanbul_day(at) for at in leads.values()}) >= 4, "leads arrived on different days"

    listed = requests.get(f"{server.url}/api/admin/leads?limit=100", headers=AUTH, timeout=10).json()
    assert len(listed["leads"]) == len(seeded.leads) - 1 and listed["counts"]["SPAM"] == 1, "Tümü has no SPAM"
    assert listed["counts"]["CONVERTED"] == 4 and listed["counts"]["LOST"] == 1
    paid = [lead for lead in listed["leads"] if lead["gclid"]]
    assert paid, "some leads came from ad clicks"
    detail = requests.get(f"{server.url}/api/admin/leads/{paid[0]['id']}", headers=AUTH, timeout=10).json()
    assert detail["journey"]["events"] and detail["lead"]["utm_term"], "the journey and keyword are there"

    week = (now - timedelta(days=7)).astimezone(demo_traffic.ISTANBUL).date().isoformat()
    stats = requests.get(f"{server.url}/api/admin/stats?from={week}", headers=AUTH, timeout=10).json()
    assert sum(day["visits"] > 0 for day in stats["daily"]) == len(planned_days), "the admin shows the week"
    # issue 22: one visit per planned visit, whatever its banner answer (a person's count, not our rule);
    # a visitor without consent is a stranger again on another day, one with consent is one visitor
    assert stats["totals"]["visits"] == len(visits) == demo_traffic.VISITS
    people = {v.visitor_id for v in visits if v.consented}
    people |= {(v.visitor_id, istanbul_day(v.page_times[0])) for v in visits if not v.consented}
    assert stats["totals"]["visitors"] == len(people)
    assert stats["totals"]["sales"] == 4

    assert demo_traffic.seed(server.url, SECRET, clock, now, progress=lines.append) is None, (
        "only on an empty db"
    )
    assert lines[-1] == "demo data: the database already has leads, nothing added"
