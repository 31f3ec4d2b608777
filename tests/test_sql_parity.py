"""Production parity (issue 21): every statement the application sends runs on Debian's 18.16 server and on
the current engine (chdb) and gives the same rows.

The data is written by the real server through its endpoints: the demo week (a week that crosses the
October/November month boundary and seven Istanbul midnights: visits, leads, the owner's calls, notes and
sales, each at its moment on a libfaketime clock), then a visit whose page view was sent before consent and
claimed by the consent event across midnight, a lead from it, a replayed track batch and lead, and the owner's
corrections of two sales. Those tables are then copied with the backup's own INSERT into a fresh database on
each engine, and each catalogued statement runs on both with parameters bound as clickhouse-driver binds them.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from clickhouse_driver import Client

from eslamed.admin.stats_shape import utc_bounds
from eslamed.backup.rows import checksum_expression
from eslamed.backup.verify import TABLES as CHECKSUM_TABLES
from eslamed.core import schema, store
from eslamed.core.config import parse_clickhouse_url
from eslamed.core.sql import admin, ads, backup, conversions, events, inbound, leads, notifications, privacy
from eslamed.core.store import Store
from eslamed.devtools import demo_spend, demo_traffic
from eslamed.devtools.fake_clock import FakeClock
from eslamed.devtools.server_process import ServerProcess
from eslamed.privacy.erase import erasure_plan, wait_for_mutations
from eslamed.privacy.person import find as find_person
from eslamed.privacy.person import spellings
from tests.conftest import migrated_store
from tests.support.admin import AUTH, SECRET
from tests.support.clients import BROWSER_UA
from tests.support.conversions import settings_for
from tests.support.leads import SITE, form_lead, lead_env, post_lead
from tests.support.parity import (
    CurrentEngine,
    Engine1816,
    application_statements,
    comparable,
    copy_table,
    top_level_order_by,
)
from tests.support.polling import wait_for
from tests.support.server import base_env

pytest.importorskip("chdb")

# The demo week ends here: it starts on Monday 2026-10-26 (Istanbul) and crosses into November.
NOW = datetime(2026, 11, 2, 5, 30, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 10, 26), date(2026, 11, 2)
LAST_CACHED = date(2026, 10, 31)
MIDNIGHT = datetime(2026, 10, 31, 21, 0, tzinfo=UTC)  # 1 November, 00:00 in Istanbul
GCLID = "Cj0KParityMonthBoundary"
DERIVED = ("stats_sessions_daily", "stats_days")  # caches each engine fills itself (FILL_CACHE)


@dataclass
class Written:
    database: str
    visitor: str
    lead: str
    events: int
    sales: list[str] = field(default_factory=list)


def _track(server: ServerProcess, batch: list[dict[str, Any]]) -> None:
    reply = requests.post(
        f"{server.url}/api/track",
        json={"events": batch},
        headers={"Origin": SITE, "User-Agent": BROWSER_UA},
        timeout=10,
    )
    assert reply.status_code == 202, reply.text


def _event(kind: str, at: datetime, pv: str, url: str, ref: str, visitor: str = "") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "ts": int(at.timestamp() * 1000),
        "url": url,
        "ref": ref,
        "title": "Fiyatlar",
        "screen": "390x844",
        "lang": "tr-TR",
        "props": {"pv": pv, "variant": "fiyat"},
        **({"visitor_id": visitor} if visitor else {}),
    }


def _owner(server: ServerProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(f"{server.url}/api/admin{path}", json=body, headers=AUTH, timeout=10)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def _after_the_week(server: ServerProcess, clock: FakeClock, events_before: int) -> Written:
    """What tracking.js, site.js and the owner do after the demo week, through the same endpoints."""
    clock.set(NOW + timedelta(hours=1))
    visitor = str(uuid.uuid4())
    landing, first_pv, second_pv = f"{SITE}/fiyat?gclid={GCLID}", str(uuid.uuid4()), str(uuid.uuid4())
    before_consent = [_event("pageview", MIDNIGHT - timedelta(seconds=25), first_pv, landing, "")]
    consent = [_event("consent", MIDNIGHT - timedelta(seconds=3), first_pv, landing, "", visitor)]
    next_page = [
        _event("pageview", MIDNIGHT + timedelta(seconds=40), second_pv, f"{SITE}/iletisim", landing, visitor),
        _event(
            "call_click", MIDNIGHT + timedelta(seconds=70), second_pv, f"{SITE}/iletisim", landing, visitor
        ),
    ]
    for batch in (before_consent, consent, next_page, before_consent):  # the last one: a retried beacon
        _track(server, batch)
    lead = form_lead(visitor_id=visitor, url=f"{SITE}/iletisim", phone="0533 765 43 21", name="Parite Deneme")
    for status in (201, 200):  # the second: site.js retrying the same lead
        reply = post_lead(server.url, lead)
        assert reply.status_code == status, reply.text
    for url in (
        "/fiyat?kampanya=1",
        "eslamed.example/acil",
    ):  # a form posted without site.js: no visit, no scheme
        reply = post_lead(
            server.url, form_lead(visitor_id="", consent=False, url=url, phone="0212 555 01 02")
        )
        assert reply.status_code == 201, reply.text
    _owner(server, f"/leads/{lead['lead_id']}/status", {"status": "CONTACTED", "note": "Gece yarısı arandı"})
    _owner(server, f"/leads/{lead['lead_id']}/convert", {"revenue": "1250.50", "deal_type": "satis"})
    _owner(
        server, f"/leads/{lead['lead_id']}/convert", {"revenue": "1250.50", "deal_type": "satis"}
    )  # a retry
    listed = requests.get(f"{server.url}/api/admin/conversions", headers=AUTH, timeout=10)
    assert listed.status_code == 200, listed.text
    sales = [c["conversion_id"] for c in listed.json()["conversions"]]
    _owner(server, f"/conversions/{sales[0]}/correct", {"action": "restate", "revenue": "7000.00"})
    _owner(server, f"/conversions/{sales[1]}/correct", {"action": "retract"})
    return Written("", visitor, lead["lead_id"], events_before + 4, sales)


@pytest.fixture(scope="module")
def written(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    workdir = tmp_path_factory.mktemp("parity-server")
    source = migrated_store(clickhouse)
    clock = FakeClock(workdir / "clock")
    # the demo client stands in for the site's proxy, as in the run command: each visitor its own address
    env = {
        **base_env(clickhouse.url, source.database, workdir),
        **lead_env(),
        "TRUSTED_PROXIES": "127.0.0.1/32",
    }
    server = ServerProcess({**env, **clock.env(demo_traffic.week_start(NOW))}, workdir, workers=1)
    try:
        server.start()
        seeded = demo_traffic.seed(server.url, SECRET, clock, NOW, lambda _line: None, rng_seed=21, site=SITE)
        assert seeded is not None
        out = _after_the_week(server, clock, seeded.events)
        query = f"SELECT uniqExact(event_id) FROM {source.database}.events"
        wait_for(lambda: source.query(query)[0][0] == out.events, what=f"{out.events} events stored")
    finally:
        server.stop()
    # the week's ad spend and click campaigns, imported twice (two versions of every row) by the real code
    mapped = [
        demo_spend.play(settings_for(clickhouse.url, source, workdir), source, NOW, 21) for _ in range(2)
    ]
    assert [(r.ok, r.rows, bool(r.clicks_mapped)) for r in mapped] == [(True, 21, True), (True, 21, False)]
    out.database = source.database
    yield out
    source.close()


@dataclass
class Parity:
    db: str
    old: Engine1816
    new: CurrentEngine
    written: Written
    setup_errors: dict[str, str]
    picks: dict[str, Any]


def _on_both(parity_errors: dict[str, str], name: str, engines: tuple, run: Callable[[Any], None]) -> None:
    for engine in engines:
        try:
            run(engine)
        except Exception as exc:  # recorded for the statement's own test, which fails with it
            parity_errors.setdefault(name, f"{engine.name}: {str(exc).splitlines()[0]}")


def _migrate(engine: Engine1816 | CurrentEngine, db: str) -> None:
    """What Store.migrate sends, on either engine."""
    fsync = "fsync_after_insert" in dict(engine.run(schema.MERGE_TREE_FSYNC, {}))
    for statement in schema.statements(db, fsync):
        engine.run(statement, {})
    present = {tuple(row) for row in engine.run(schema.EXISTING_COLUMNS, {"db": db})}
    engines = {name: full for name, full in engine.run(schema.TABLE_ENGINES, {"db": db})}
    more = schema.add_column_statements(db, present) + (schema.fsync_statements(db, engines) if fsync else [])
    for statement in more:
        engine.run(statement, {})


# The current engine at its own defaults, and with the setting defaults of the production pin (ops/docker-compose.yml).
@pytest.fixture(scope="module", params=["", "24.8"], ids=["current", "compat-24.8"])
def parity(
    request: pytest.FixtureRequest, clickhouse, written: Written, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Parity]:
    client = Client("127.0.0.1", port=clickhouse.tcp_port)
    old = Engine1816(client)
    new = CurrentEngine(tmp_path_factory.mktemp("chdb"), old, request.param)
    db = f"parity_{uuid.uuid4().hex[:8]}"
    errors: dict[str, str] = {}
    both = (old, new)
    _on_both(errors, "schema", both, lambda e: _migrate(e, db))
    for table in schema.TABLES:
        if table not in DERIVED:
            try:
                copy_table(client, written.database, table, both, db)
            except Exception as exc:  # recorded for backup.INSERT's own test
                errors.setdefault("backup.INSERT", f"{table}: {str(exc).splitlines()[0]}")
    since, until = utc_bounds(FIRST_DAY, LAST_CACHED)
    days = tuple(FIRST_DAY + timedelta(days=i) for i in range((LAST_CACHED - FIRST_DAY).days + 1))
    fill = admin.FILL_CACHE.format(db=db)
    params = {"since": since, "until": until, "days": days, "version": 7}
    _on_both(errors, "admin.FILL_CACHE", both, lambda e: e.run(fill, params))
    counts = dict(old.run(admin.EVENTS_PER_DAY.format(db=db), {"since": since, "until": until}))
    stats_days = [[day, 7, counts.get(day, 0)] for day in days]
    statement = backup.INSERT.format(db=db, table="stats_days", columns="day, version, events")
    _on_both(errors, "backup.INSERT", both, lambda e: e.insert(statement, stats_days))

    def pick(sql: str) -> list[Any]:
        return [row[0] for row in old.run(sql.format(db=db), {})]

    picks = {
        "leads": pick("SELECT DISTINCT lead_id FROM {db}.leads"),
        "sales": pick("SELECT DISTINCT conversion_id FROM {db}.conversions WHERE adjustment = ''"),
        "events": pick("SELECT event_id FROM {db}.events ORDER BY ts, event_id LIMIT 50"),
        "phone": pick("SELECT phone FROM {db}.leads WHERE phone != '' ORDER BY created_at LIMIT 1")[0],
        "ref": (pick("SELECT ref FROM {db}.lead_refs ORDER BY created_at LIMIT 1") or ["K7Q2M"])[0],
        # the pre-consent visit's key (its first page view carries the GCLID) and a few of the demo's
        "keys": pick(
            "SELECT visit_key FROM {db}.events WHERE visit_key != '' GROUP BY visit_key"
            " ORDER BY max(url LIKE '%%" + GCLID + "%%') DESC, visit_key LIMIT 4"
        ),
        "gclids": pick("SELECT DISTINCT gclid FROM {db}.leads WHERE gclid != '' ORDER BY gclid"),
        "tapper": pick(
            "SELECT visitor_id FROM {db}.leads WHERE source = 'whatsapp' ORDER BY created_at LIMIT 1"
        ),
    }
    reader = Store(parse_clickhouse_url(f"{clickhouse.url}/{db}"), timeout_s=10.0)
    picks["person"] = find_person(reader, lead_id=written.lead)
    reader.close()
    yield Parity(db, old, new, written, errors, picks)
    new.close()
    client.disconnect()


# ---- the catalogue: every statement, with the parameters it is run with ---------------------------------

Case = tuple[str, dict[str, Any]]
Project = Callable[[list[Any]], list[Any]]


def _bounds(first: date = FIRST_DAY, last: date = LAST_DAY) -> dict[str, datetime]:
    since, until = utc_bounds(first, last)
    return {"since": since, "until": until}


def _privacy_reads(p: Parity, *, statement: str) -> list[Case]:
    """A privacy read for the parity lead (a visitor with consent, a pre-consent page view, a sale) and for
    a phone of the demo week, with every parameter the statement may take."""
    person = p.picks["person"]
    params = {
        "ids": tuple(uuid.UUID(i) for i in person.lead_ids),
        "phones": spellings(p.picks["phone"]),
        "visitors": person.visitors,
        "keys": person.visit_keys,
    }
    return [(statement.format(db=p.db), params)]


def _no_one(p: Parity, *, statement: str) -> list[Case]:
    return [(statement.format(db=p.db), {"ids": (uuid.uuid4(),)})]


def _visits(p: Parity) -> dict[str, Any]:
    return {"first": FIRST_DAY, "last_cached": LAST_CACHED, **_bounds(LAST_CACHED + timedelta(days=1))}


def _tables(statement: str, p: Parity, **fmt: str) -> list[Case]:
    return [(statement.format(db=p.db, table=t, **fmt), {}) for t in schema.TABLES]


def _lead_lists(p: Parity) -> list[Case]:
    combos = (
        ([], {}),
        (["created", "not_spam"], _bounds()),
        (["status"], {"status": "CONTACTED"}),
        (["source"], {"source": "whatsapp"}),
        (["traffic"], {"traffic": "paid"}),
        (["search"], {"q": "ayşe", "q_digits": "0532"}),
        (["cursor"], {"c_ts": datetime(2026, 10, 30, 12), "c_id": "8"}),
    )
    return [(admin.lead_list(p.db, names), {"limit": 50, **params}) for names, params in combos]


def _columns(p: Parity, table: str) -> str:
    return ", ".join(row[0] for row in p.old.run(backup.DESCRIBE.format(db=p.db, table=table), {}))


def _checksums(p: Parity) -> list[Case]:
    out = []
    for table in CHECKSUM_TABLES:
        described = [(r[0], r[1]) for r in p.old.run(backup.DESCRIBE.format(db=p.db, table=table), {})]
        final = "FINAL" if schema.replaces_rows(table) else ""
        args = checksum_expression(described)
        out.append((backup.CONTENT_CHECKSUM.format(db=p.db, table=table, hash_args=args, final=final), {}))
    return out


def _describe(p: Parity, *, table: str) -> list[Case]:
    return [(backup.DESCRIBE.format(db=p.db, table=table), {})]


def _same_names(rows: list[Any]) -> list[Any]:
    return sorted(row[0] for row in rows)


def _two_columns(rows: list[Any]) -> list[Any]:
    return [list(row[:2]) for row in rows]


def _runs(rows: list[Any]) -> list[Any]:
    """The result is the server's own (its version, its settings): the statement must run, that is all."""
    return []


def _merged(cube: str) -> str:
    """A visits cube has uniqExact states, which no client reads: merged per row as the stats query does."""
    return (
        "SELECT day, dim, value, sum(visits), sum(cta_visits), uniqExactMerge(visitors)"
        f" FROM ({cube}) GROUP BY day, dim, value"
    )


CACHE_CONTENT = (
    "SELECT day, dim, value, version, visits, cta_visits, uniqExactMerge(visitors) FROM {db}.stats_sessions_daily"
    " GROUP BY day, dim, value, version, visits, cta_visits ORDER BY day, dim, value"
)

CATALOGUE: dict[str, Callable[[Parity], list[Case]]] = {
    "admin.LATEST_LEAD_KEYS": lambda p: [(admin.LATEST_LEAD_KEYS.format(db=p.db, where="1"), {})],
    "admin.LEAD": lambda p: [(admin.LEAD.format(db=p.db), {"lead_id": p.written.lead})],
    "admin.LEAD_LIST": _lead_lists,
    "admin.LEAD_STATUS_COUNTS": lambda p: [(admin.LEAD_STATUS_COUNTS.format(db=p.db), {})],
    "admin.LEAD_HISTORY": lambda p: [
        (admin.LEAD_HISTORY.format(db=p.db), {"lead_id": lid}) for lid in p.picks["leads"]
    ],
    "admin.JOURNEY": lambda p: [
        (admin.JOURNEY.format(db=p.db), {"visitor_id": p.written.visitor, **_bounds(), "limit": 100})
    ],
    "admin._JOURNEY": lambda p: [
        (
            admin._JOURNEY.format(db=p.db, who="visitor_id = %(visitor_id)s"),
            {"visitor_id": p.written.visitor, **_bounds(), "limit": 100},
        )
    ],
    "admin.VISIT_JOURNEY": lambda p: [
        (admin.VISIT_JOURNEY.format(db=p.db), {"visit_key": key, **_bounds(), "limit": 100})
        for key in p.picks["keys"]
    ],
    "admin.LATEST_CONVERSION_KEYS": lambda p: [(admin.LATEST_CONVERSION_KEYS.format(db=p.db, where="1"), {})],
    "admin.LEAD_CONVERSIONS": lambda p: [
        (admin.LEAD_CONVERSIONS.format(db=p.db), {"lead_id": lid}) for lid in p.picks["leads"]
    ],
    "admin.CONVERSION_LIST": lambda p: [
        (admin.CONVERSION_LIST.format(db=p.db), {"state": state, "limit": 100}) for state in ("", "PENDING")
    ],
    "admin.CONVERSION_STATE_COUNTS": lambda p: [(admin.CONVERSION_STATE_COUNTS.format(db=p.db), {})],
    "admin.SESSIONS_BY_DAY": lambda p: [(admin.SESSIONS_BY_DAY.format(db=p.db, day_filter=""), _bounds())],
    "admin.SESSIONS_CUBE": lambda p: [
        (_merged(admin.SESSIONS_CUBE.format(db=p.db, day_filter="")), _bounds())
    ],
    "admin.CACHED_DAYS": lambda p: [
        (admin.CACHED_DAYS.format(db=p.db), {"first": FIRST_DAY, "last": LAST_DAY})
    ],
    "admin.EVENTS_PER_DAY": lambda p: [(admin.EVENTS_PER_DAY.format(db=p.db), _bounds())],
    "admin.FILL_CACHE": lambda p: [(CACHE_CONTENT.format(db=p.db), {})],
    "admin._CACHED_AND_LIVE": lambda p: [(_merged(admin._CACHED_AND_LIVE.format(db=p.db)), _visits(p))],
    "admin.STATS_VISITS": lambda p: [(admin.STATS_VISITS.format(db=p.db), _visits(p))],
    "admin.STATS_LEADS": lambda p: [(admin.STATS_LEADS.format(db=p.db), _bounds())],
    "admin.STATS_LEADS_BY_ID": lambda p: [
        (admin.STATS_LEADS_BY_ID.format(db=p.db), {"ids": tuple(p.picks["leads"])})
    ],
    "admin.STATS_SALES": lambda p: [
        (admin.STATS_SALES.format(db=p.db), _bounds()),
        (admin.STATS_SALES.format(db=p.db), _bounds(LAST_DAY, LAST_DAY + timedelta(days=40))),
    ],
    "admin.STATS_SALE_CORRECTIONS": lambda p: [
        (admin.STATS_SALE_CORRECTIONS.format(db=p.db), {"ids": tuple(str(s) for s in p.picks["sales"])})
    ],
    "admin.CONVERSION": lambda p: [
        (admin.CONVERSION.format(db=p.db), {"conversion_id": cid}) for cid in p.written.sales[:2]
    ],
    "backup.VERSION": lambda p: [(backup.VERSION, {})],
    "backup.DESCRIBE": lambda p: _tables(backup.DESCRIBE, p),
    "backup.TABLE_EXISTS": lambda p: [
        (backup.TABLE_EXISTS, {"db": p.db, "table": t}) for t in ("leads", "no_such_table")
    ],
    "backup.ROW_COUNT": lambda p: _tables(backup.ROW_COUNT, p),
    "backup.FULL_TABLE": lambda p: [
        (backup.FULL_TABLE.format(db=p.db, table=t, columns=_columns(p, t)), {})
        for t in schema.TABLES
        if t not in DERIVED
    ],
    "backup.EVENT_DAYS": lambda p: [(backup.EVENT_DAYS.format(db=p.db), {})],
    "backup.EVENTS_OF_DAY": lambda p: [
        (backup.EVENTS_OF_DAY.format(db=p.db, columns=_columns(p, "events")), {"day": day})
        for day in ("2026-10-31", "2026-11-01")
    ],
    # the copy into both engines went through it: the same rows arrived
    "backup.INSERT": lambda p: _tables(backup.ROW_COUNT, p),
    "backup.CONTENT_CHECKSUM": _checksums,
    "conversions.LATEST": lambda p: [(conversions.LATEST.format(db=p.db), {})],
    "conversions.DUE": lambda p: [
        (conversions.DUE.format(db=p.db), {"now": datetime(2027, 1, 1), "limit": 100})
    ],
    "conversions.AWAITING_CONFIRMATION": lambda p: [
        (conversions.AWAITING_CONFIRMATION.format(db=p.db), {"since": datetime(2026, 10, 1), "limit": 100})
    ],
    "conversions.HISTORY": lambda p: [
        (conversions.HISTORY.format(db=p.db), {"ids": tuple(p.picks["sales"])})
    ],
    "conversions.LEADS_FOR_UPLOAD": lambda p: [
        (conversions.LEADS_FOR_UPLOAD.format(db=p.db), {"ids": tuple(p.picks["leads"])})
    ],
    "conversions.REQUEUEABLE": lambda p: [
        (conversions.REQUEUEABLE.format(db=p.db), {"states": ("PENDING", "SKIPPED")})
    ],
    "conversions.BY_IDS": lambda p: [(conversions.BY_IDS.format(db=p.db), {"ids": tuple(p.picks["sales"])})],
    "conversions.CORRECTIONS_OF": lambda p: [
        (conversions.CORRECTIONS_OF.format(db=p.db), {"adjusts": str(cid)}) for cid in p.written.sales[:2]
    ],
    "events.EXISTING_IDS": lambda p: [
        (events.EXISTING_IDS.format(db=p.db), {"ids": tuple(p.picks["events"])})
    ],
    "events.COUNT": lambda p: [(events.COUNT.format(db=p.db), {})],
    "events.EVENTS_WITH_WHO": lambda p: [(events.EVENTS_WITH_WHO.format(db=p.db, day_filter=""), _bounds())],
    "inbound.REF_LEAD": lambda p: [
        (inbound.REF_LEAD.format(db=p.db), {"ref": p.picks["ref"], "since": datetime(2026, 10, 1)})
    ],
    "inbound.SEEN": lambda p: [(inbound.SEEN.format(db=p.db), {"channel": "whatsapp", "key": "wamid.1"})],
    "inbound.LEAD_BY_PHONE": lambda p: [(inbound.LEAD_BY_PHONE.format(db=p.db), {"phone": p.picks["phone"]})],
    "inbound.CALL_TAPS": lambda p: [(inbound.CALL_TAPS.format(db=p.db), _bounds())],
    "leads.EXISTING": lambda p: [(leads.EXISTING.format(db=p.db), {"ids": tuple(p.picks["leads"])})],
    "leads.VISITOR_HISTORY": lambda p: [
        (
            leads.VISITOR_HISTORY.format(db=p.db),
            {"visitor_id": p.written.visitor, "since": datetime(2026, 8, 4)},
        )
    ],
    "leads._HISTORY": lambda p: [
        (
            leads._HISTORY.format(db=p.db, who="visitor_id = %(visitor_id)s"),
            {"visitor_id": p.written.visitor, "since": datetime(2026, 8, 4)},
        )
    ],
    "leads.VISIT_HISTORY": lambda p: [
        (leads.VISIT_HISTORY.format(db=p.db), {"visit_key": key, "since": datetime(2026, 8, 4)})
        for key in p.picks["keys"]
    ],
    "leads._CLICK_TIME": lambda p: [
        (
            leads._CLICK_TIME.format(db=p.db, who="visit_key = %(visit_key)s"),
            {"visit_key": key, "since": datetime(2026, 8, 4), "gclid": GCLID, "gbraid": "", "wbraid": ""},
        )
        for key in p.picks["keys"]
    ],
    "leads.VISIT_CLICK_TIME": lambda p: [
        (
            leads.VISIT_CLICK_TIME.format(db=p.db),
            {"visit_key": key, "since": datetime(2026, 8, 4), "gclid": GCLID, "gbraid": "", "wbraid": ""},
        )
        for key in p.picks["keys"]
    ],
    "leads.CLICK_TIME": lambda p: [
        (
            leads.CLICK_TIME.format(db=p.db),
            {
                "visitor_id": p.written.visitor,
                "since": datetime(2026, 8, 4),
                "gclid": GCLID,
                "gbraid": "",
                "wbraid": "",
            },
        )
    ],
    "leads.COUNT": lambda p: [(leads.COUNT.format(db=p.db), {})],
    "leads.TAP_LEAD_IN_VISIT": lambda p: [
        (
            leads.TAP_LEAD_IN_VISIT.format(db=p.db),
            {
                "visitor_id": v,
                "source": "whatsapp",
                "since": datetime(2026, 10, 1),
                "now": NOW.replace(tzinfo=None),
            },
        )
        for v in p.picks["tapper"]
    ],
    "ads._NEWEST_COSTS": lambda p: [
        (ads._NEWEST_COSTS.format(db=p.db), {"first": FIRST_DAY, "last": LAST_DAY})
    ],
    "ads.COSTS_KNOWN": lambda p: [
        (ads.COSTS_KNOWN.format(db=p.db), {"customer": "1234567890", "first": FIRST_DAY, "last": LAST_DAY}),
        (ads.COSTS_KNOWN.format(db=p.db), {"customer": "999", "first": FIRST_DAY, "last": LAST_DAY}),
    ],
    "ads.STATS_COSTS": lambda p: [
        (ads.STATS_COSTS.format(db=p.db), {"first": FIRST_DAY, "last": LAST_DAY}),
        (ads.STATS_COSTS.format(db=p.db), {"first": LAST_DAY, "last": LAST_DAY}),
    ],
    "ads.CAMPAIGN_NAMES": lambda p: [(ads.CAMPAIGN_NAMES.format(db=p.db), {})],
    "ads.CLICK_CAMPAIGNS": lambda p: [
        (ads.CLICK_CAMPAIGNS.format(db=p.db), {"gclids": tuple(p.picks["gclids"])})
    ],
    "ads.UNMAPPED_CLICKS": lambda p: [
        (ads.UNMAPPED_CLICKS.format(db=p.db), {"since": datetime(2026, 8, 4), "tz": "Europe/Istanbul"}),
        (ads.UNMAPPED_CLICKS.format(db=p.db), {"since": datetime(2026, 8, 4), "tz": "America/New_York"}),
    ],
    "ads.LAST_IMPORT": lambda p: [(ads.LAST_IMPORT.format(db=p.db), {})],
    **{
        f"privacy.{name}": functools.partial(_privacy_reads, statement=getattr(privacy, name))
        for name in (
            "LEADS_BY_PHONE",
            "LEAD_ROWS",
            "LEAD_CHANGE_ROWS",
            "SALE_ROWS",
            "NOTIFICATION_ROWS",
            "INBOUND_ROWS",
            "INBOUND_KEYS",
            "VISIT_KEYS_OF",
            "VISITORS_OF",
            "EVENT_ROWS",
            "VISITOR_HASHES",
            "VISIT_KEY_HASHES",
        )
    },
    # Mutations of rows no one has (the real erasure, on both engines: test_an_erasure_…_on_both_engines).
    **{
        f"privacy.{name}": functools.partial(_no_one, statement=getattr(privacy, name))
        for name in ("ERASE_LEADS", "ERASE_LEAD_CHANGES", "ERASE_SALES", "ERASE_NOTIFICATIONS")
    },
    "privacy.ERASE_INBOUND": lambda p: [
        (privacy.ERASE_INBOUND.format(db=p.db), {"keys": (("whatsapp", "wamid.no-one"),)})
    ],
    "privacy.ERASE_EVENTS": lambda p: [
        (privacy.ERASE_EVENTS.format(db=p.db), {"visitors": (0,), "keys": (0,), "salt": 7})
    ],
    "privacy.ERASE_LEAD_VISIT_KEYS": lambda p: [
        (privacy.ERASE_LEAD_VISIT_KEYS.format(db=p.db), {"keys": (0,), "salt": 7})
    ],
    "privacy.MUTATIONS_PENDING": lambda p: [
        (privacy.MUTATIONS_PENDING, {"db": p.db, "tables": ("leads", "events")})
    ],
    "privacy.ERASURES": lambda p: [(privacy.ERASURES.format(db=p.db), {})],
    "privacy.LEAD_PHONES_BEFORE": lambda p: [
        (privacy.LEAD_PHONES_BEFORE.format(db=p.db), {"at": datetime(2026, 10, 29, 12)})
    ],
    "privacy.ACCESS_LOG": lambda p: [(privacy.ACCESS_LOG.format(db=p.db), {"limit": 10})],
    "privacy.EVENT_PARTITIONS": lambda p: [(privacy.EVENT_PARTITIONS, {"db": p.db})],
    "privacy.DROP_EVENT_PARTITION": lambda p: [
        (privacy.DROP_EVENT_PARTITION.format(db=p.db, partition=190001), {})
    ],
    "privacy.LEADS_TO_ANONYMISE": lambda p: [
        (privacy.LEADS_TO_ANONYMISE.format(db=p.db), {"before": datetime(2026, 10, 29, 12)})
    ],
    "notifications.DELIVERY_STATE": lambda p: [
        (notifications.DELIVERY_STATE.format(db=p.db), {"ids": tuple(p.picks["leads"])})
    ],
    "notifications.ACTIVE_SUBSCRIPTIONS": lambda p: [
        (notifications.ACTIVE_SUBSCRIPTIONS.format(db=p.db), {})
    ],
    **{
        f"schema.{name}": functools.partial(_describe, table=table)
        for table, ddl in schema.TABLES.items()
        for name, value in vars(schema).items()
        if value is ddl
    },
    "schema.EXISTING_COLUMNS": lambda p: [(schema.EXISTING_COLUMNS, {"db": p.db})],
    "schema.MERGE_TREE_FSYNC": lambda p: [(schema.MERGE_TREE_FSYNC, {})],
    "schema.TABLE_ENGINES": lambda p: [(schema.TABLE_ENGINES, {"db": p.db})],
    "store.KNOWN_SETTINGS_SQL": lambda p: [(store.KNOWN_SETTINGS_SQL, {})],
}

# Statements whose result is the server's own, compared only as far as it is the application's data.
PROJECTIONS: dict[str, Project] = {
    "backup.VERSION": _runs,
    "backup.DESCRIBE": _two_columns,  # newer servers add default/codec/TTL columns the backup never reads
    **{f"schema.{name}": _two_columns for name in schema.__dict__ if f"schema.{name}" in CATALOGUE},
    "schema.MERGE_TREE_FSYNC": _runs,  # what the server has: test_effective_fsync_of_the_real_leads_table
    "schema.TABLE_ENGINES": _same_names,  # the engine text differs by version; the fsync test reads it
    "store.KNOWN_SETTINGS_SQL": _runs,  # async_insert exists only on newer servers, by design
}
PROJECTIONS["schema.EXISTING_COLUMNS"] = lambda rows: comparable(rows, ordered=False)


def test_the_catalogue_lists_every_statement_the_application_has() -> None:
    """A statement added without parity coverage (or a catalogue entry for one that is gone) fails here."""
    listed = application_statements()
    assert sorted(listed - CATALOGUE.keys()) == [], "statements without parity coverage"
    assert sorted(CATALOGUE.keys() - listed) == [], "catalogue entries for statements that no longer exist"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_statement_gives_the_same_rows_on_both_engines(parity: Parity, name: str) -> None:
    for setup in ("schema", name):
        assert setup not in parity.setup_errors, parity.setup_errors[setup]
    project = PROJECTIONS.get(name)
    cases = CATALOGUE[name](parity)
    assert cases, f"{name}: no case to run"
    for statement, params in cases:
        results = []
        for engine in (parity.old, parity.new):
            try:
                rows = engine.run(statement, params)
            except Exception as exc:
                pytest.fail(f"{name} fails on ClickHouse {engine.name}: {str(exc).splitlines()[0]}")
            results.append(project(rows) if project else comparable(rows, top_level_order_by(statement)))
        assert results[0] == results[1], f"{name}: 18.16 and {parity.new.name} differ for {params}"


def test_the_data_covers_what_parity_must_cover(parity: Parity) -> None:
    """The real path wrote what the suite claims to cover: the owner's versions of a lead, a pre-consent page
    view claimed across Istanbul midnight at a month boundary, sale corrections, events in two months.
    (Replayed rows may already be merged away by ReplacingMergeTree; the replays' answers are checked where
    they are sent.)"""

    def one(statement: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return parity.old.run(statement, params or {})

    db, lead = parity.db, {"id": parity.written.lead}
    assert one(f"SELECT count() FROM {db}.lead_changes WHERE lead_id = %(id)s", lead) >= [(2,)]
    claim = (
        f"SELECT uniqExact(event_id), min(toDate(ts, 'Europe/Istanbul')) FROM {db}.events"
        f" WHERE {events.PV} IN (SELECT {events.PV} FROM {db}.events WHERE url LIKE %(url)s)"
    )
    assert one(claim, {"url": f"%{GCLID}%"}) == [(2, date(2026, 10, 31))]
    assert one(f"SELECT uniqExact(toYYYYMM(ts)) FROM {db}.events") == [(2,)]
    assert one(f"SELECT countIf(visit_key = '') FROM {db}.events") == [(0,)], "every beacon has its visit key"
    assert len(parity.picks["keys"]) == 4
    kinds = one(
        f"SELECT adjustment, count() FROM {db}.conversions WHERE adjustment != '' GROUP BY adjustment"
    )
    assert dict(kinds) == {"RETRACTION": 1}, kinds  # the restated sale was not sent, so it changed itself
    assert one(f"SELECT count() FROM {db}.conversions WHERE revenue = 7000") != [(0,)]


def test_effective_fsync_of_the_real_leads_table(parity: Parity) -> None:
    """What `eslamed migrate` and /readyz report, read from each engine's own settings for the real `leads`
    table: 18.16 has no fsync_after_insert (leads are written ahead to the journal there); the current engine
    created it with the table setting on."""
    for engine, expected in ((parity.old, False), (parity.new, True)):
        server = dict(engine.run(schema.MERGE_TREE_FSYNC, {}))
        tables = {name: full for name, full in engine.run(schema.TABLE_ENGINES, {"db": parity.db})}
        assert schema.fsyncs(tables["leads"], server.get("fsync_after_insert")) is expected, engine.name
        for table in schema.DURABLE_TABLES:
            assert schema.fsyncs(tables[table], server.get("fsync_after_insert")) is expected, table
    assert "fsync_after_insert" not in dict(parity.old.run(schema.MERGE_TREE_FSYNC, {}))
    assert "fsync_after_insert = 1" in dict(parity.new.run(schema.TABLE_ENGINES, {"db": parity.db}))["leads"]


# Last in the module for each engine pair: it changes the copied data.
def test_an_erasure_leaves_the_same_rows_on_both_engines_and_no_trace_of_the_person(parity: Parity) -> None:
    """Issue 26 on both engines: the erasure's own mutations (erasure_plan), waited for through
    system.mutations, anonymise every stored version alike, and nothing of the person is left."""
    person = parity.picks["person"]
    assert person.phone and person.visitors and person.visit_keys, "the parity lead has all of it"
    for engine in (parity.old, parity.new):
        plan = erasure_plan(engine.run, parity.db, person, [person.phone], salt=11)
        assert len(plan.statements) >= 5, plan.statements
        for statement, params in plan.statements:
            engine.run(statement, params)
        wait_for_mutations(engine.run, parity.db, lambda _line: None, wait_s=120)
    needles = [*person.spellings, *person.names, *person.visitors, *person.visit_keys]
    for table in ("leads", "lead_changes", "conversions", "notifications", "inbound", "events", "lead_refs"):
        statement = f"SELECT * FROM {parity.db}.{table}"
        old, new = (
            comparable(engine.run(statement, {}), ordered=False) for engine in (parity.old, parity.new)
        )
        assert old == new, f"{table}: the engines differ after the erasure"
        assert [n for n in needles if n in repr(old)] == [], f"{table} still holds the person"
    leads = parity.old.run(f"SELECT count(), countIf(name = '') FROM {parity.db}.leads", {})
    assert leads[0][0] > leads[0][1] > 0, (
        "the person's lead rows stay (anonymised), the others keep their names"
    )
