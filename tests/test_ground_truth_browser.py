"""Ground truth: scripted visitors in real Chromium on the built site, against a real server and
ClickHouse; every figure of GET /api/admin/stats and every lead's journey must equal what the
script itself did (issue 13 acceptance). The test writes no row: everything comes from the real
tracking.js, site.js, /api/track and /api/lead.

It is the real-path sibling of the seeded stats and journey tests (tests/test_admin_stats.py,
test_admin_api.py's journey, test_leads_attribution_sql.py), whose rows tests/support/events.py
writes by hand.

The truth is what a person counts (issue 22): each scripted visitor is one person on their own phone
(a browser of their own, with its own User-Agent, as two phones behind one address differ), and makes one
visit, whatever they answer on the cookie banner:
- the visit's source, campaign and landing page are those of its first page (gclid -> paid, a Google
  referrer -> organic, else direct); every page, tap and lead of the script belongs to it;
- a lead carries the visit's source, its ad click and campaign, and its landing page, with consent or
  without (the server finds the visit by its cookieless key);
- one call / WhatsApp lead per channel per page view (site.js), and per visit from the page where a
  visitor said "Kabul" on (the server knows them by visitor_id from there).
Run twice: reading fresh, and with the browser's clock two days back, after the stats of that
day had been read (and cached) before any of its events arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from eslamed.admin.stats_shape import ISTANBUL
from eslamed.core.store import Store
from eslamed.site.builder import BuildResult
from tests.conftest import migrated_store
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, MOBILE_UA, PHONE
from tests.support.server import ServerProcess, base_env
from tests.support.site import build_into

pytestmark = pytest.mark.browser

ADMIN = {"X-Admin-Secret": "test-admin-secret-0123456789abcdef"}
CAMPAIGN = "pmax-truth"
GOOGLE = "https://www.google.com/"
WHATSAPP_STUB = "<!doctype html><title>WhatsApp</title>"
PARALLEL = 5
DWELL_S = 1.3  # long enough for the tracker's 1 s batch and the consent event to be stored
QUICK_S = 0.3  # "left within 1 s"
FORM_S = {"fast": 3.0, "slow": 7.0}  # from the first focus of the form to "Hemen Ara"
# The phone's dialer: a tel: tap is cancelled after the page's own handlers saw it (headless
# Chromium stops opening wa.me tabs after a few tel: navigations).
DIALER = (
    "addEventListener('click', e => e.target.closest && e.target.closest(\"a[href^='tel:']\")"
    " && e.preventDefault())"
)
TAP_LINKS = {"call": "[data-sticky-bar] a[href^='tel:']", "whatsapp": "[data-sticky-bar] a[href*='wa.me']"}


@dataclass(frozen=True)
class Visitor:
    name: str
    entry: str  # ad | organic | direct
    consent: str  # accept | reject | none
    pages: tuple[str, ...]
    consent_on: int = 0  # the page where "Kabul" is tapped
    quick: frozenset[int] = frozenset()  # pages left within 1 s
    taps: tuple[tuple[int, str], ...] = ()  # (page, call | whatsapp), in order
    form: tuple[int, str] | None = None  # (page, fast | slow)


def v(name: str, entry: str, consent: str, *pages: str, **kw: Any) -> Visitor:
    kw["quick"] = frozenset(kw.get("quick", ()))
    return Visitor(name, entry, consent, pages, **kw)


SCRIPT = [
    v("ad-tupu-fiyat-form", "ad", "accept", "/hizmetler/oksijen-tupu", "/fiyat", form=(1, "fast")),
    v("ad-fiyat-call", "ad", "accept", "/fiyat", taps=((0, "call"),)),
    v("ad-kiralama-refuses", "ad", "reject", "/hizmetler/kiralama", "/acil", taps=((0, "call"), (1, "call"))),
    v("ad-never-answers-form", "ad", "none", "/hizmetler/oksijen-konsantratoru", form=(0, "slow")),
    v(
        "organic-three-pages",
        "organic",
        "accept",
        "/",
        "/acil",
        "/fiyat",
        taps=((1, "call"), (2, "call"), (2, "whatsapp"), (2, "whatsapp")),
    ),
    v("organic-refuses-quick", "organic", "reject", "/acil", quick={0}),
    v("organic-quick-then-page", "organic", "none", "/", "/hizmetler/oksijen-tupu", quick={0}),
    v("direct-iletisim-form", "direct", "accept", "/iletisim", form=(0, "fast")),
    v("direct-four-pages", "direct", "none", "/acil", "/fiyat", "/iletisim", "/kvkk", quick={1, 2}),
    v("direct-refuses-whatsapp", "direct", "reject", "/fiyat", taps=((0, "whatsapp"),)),
    v(
        "ad-accepts-on-page-2",
        "ad",
        "accept",
        "/hizmetler/oksijen-tupu",
        "/fiyat",
        "/acil",
        consent_on=1,
        taps=((2, "call"),),
    ),
    v("organic-accepts-and-leaves", "organic", "accept", "/hizmetler/kiralama", quick={0}),
    v(
        "direct-four-quick-form",
        "direct",
        "accept",
        "/",
        "/hizmetler/oksijen-konsantratoru",
        "/fiyat",
        "/acil",
        quick={0, 1, 2},
        form=(3, "slow"),
    ),
    v("ad-acil-taps", "ad", "accept", "/acil", taps=((0, "whatsapp"), (0, "whatsapp"), (0, "call"))),
    v("ad-never-answers-fast-form", "ad", "none", "/fiyat", form=(0, "fast")),
    v("direct-home", "direct", "none", "/"),
    v(
        "organic-tupu-iletisim-form",
        "organic",
        "accept",
        "/hizmetler/oksijen-tupu",
        "/iletisim",
        form=(1, "slow"),
    ),
    v("ad-refuses-quick", "ad", "reject", "/fiyat", "/", quick={0}),
    v("direct-kvkk-home", "direct", "accept", "/kvkk", "/"),
    v(
        "organic-refuses-three",
        "organic",
        "reject",
        "/hizmetler/oksijen-konsantratoru",
        "/acil",
        "/fiyat",
        taps=((2, "call"),),
    ),
    v(
        "ad-kiralama-quick-call",
        "ad",
        "accept",
        "/hizmetler/kiralama",
        "/acil",
        quick={0},
        taps=((1, "call"),),
    ),
    v("direct-acil-call", "direct", "none", "/acil", taps=((0, "call"),)),
    # issue 22: several pages without consent, and the lead on a later page
    v(
        "ad-never-answers-form-on-page-3",
        "ad",
        "none",
        "/hizmetler/oksijen-tupu",
        "/fiyat",
        "/iletisim",
        form=(2, "slow"),
    ),
    v("ad-refuses-form-on-page-2", "ad", "reject", "/acil", "/iletisim", form=(1, "fast")),
    v("organic-never-answers-whatsapp-page-2", "organic", "none", "/", "/fiyat", taps=((1, "whatsapp"),)),
    # "Kabul", then a link tapped at once
    v(
        "ad-accepts-then-taps-a-link",
        "ad",
        "accept",
        "/fiyat",
        "/acil",
        "/iletisim",
        quick={0},
        form=(2, "fast"),
    ),
]


@dataclass
class PageSeen:
    """One page view as the visitor made it: what the test saw in the browser."""

    index: int
    url: str
    path: str
    variant: str


@dataclass
class Visit:
    """A visit and visitor as the system defines them (module docstring)."""

    pages: list[PageSeen]
    source: str
    campaign: str
    cta: bool = False


@dataclass
class ExpectedLead:
    channel: str
    status: str
    traffic: str
    gclid: str
    campaign: str
    variant: str
    landing_url: str
    journey_paths: list[str]


@dataclass
class Truth:
    visits: list[Visit] = field(default_factory=list)
    leads: dict[tuple[str, str], ExpectedLead] = field(default_factory=dict)  # (visitor, channel@path)

    def add(self, visitor: Visitor, seen: list[PageSeen]) -> None:
        visits, leads = ground_truth(visitor, seen)
        self.visits += visits
        self.leads.update(leads)


def page_url(base: str, visitor: Visitor, index: int, path: str) -> str:
    query = {"t": visitor.name}
    if visitor.entry == "ad" and index == 0:
        query.update(gclid=f"G-{visitor.name}", utm_campaign=CAMPAIGN)
    return f"{base}{path}?{urlencode(query)}"


def ground_truth(
    visitor: Visitor, seen: list[PageSeen]
) -> tuple[list[Visit], dict[tuple[str, str], ExpectedLead]]:
    """The one visit and the leads this visitor's script makes, as a person counts them."""
    source = {"ad": "paid", "organic": "organic"}.get(visitor.entry, "direct")
    campaign = CAMPAIGN if visitor.entry == "ad" else ""
    visit = Visit(seen, source, campaign, cta=bool(visitor.taps))
    known_from = visitor.consent_on if visitor.consent == "accept" else len(seen)
    made: dict[object, tuple[PageSeen, str]] = {}
    for index, channel in visitor.taps:
        made.setdefault(channel if index >= known_from else (channel, index), (seen[index], channel))
    if visitor.form:
        made["form"] = (seen[visitor.form[0]], "form")
    leads = {
        (visitor.name, f"{channel}@{page.path}"): ExpectedLead(
            channel=channel,
            status="NEW",
            traffic=source,
            gclid=f"G-{visitor.name}" if visitor.entry == "ad" else "",
            campaign=campaign,
            variant=page.variant,
            landing_url=seen[0].url,
            journey_paths=[p.path for p in seen],
        )
        for page, channel in made.values()
    }
    return [visit], leads


async def tap(context: BrowserContext, page: Page, channel: str) -> None:
    link = page.locator(TAP_LINKS[channel])
    if channel == "whatsapp":  # opens wa.me in a new tab (answered locally)
        async with context.expect_page() as opened:
            await link.click()
        await (await opened.value).close()
    else:
        await link.click()


async def fill_form(page: Page, visitor: Visitor, speed: str) -> None:
    name = page.get_by_label("Adınız")
    await name.focus()
    started = time.monotonic()
    await name.fill(f"Ziyaretçi {visitor.name}")
    await page.get_by_label("Telefon numaranız").fill(f"0532 {SCRIPT.index(visitor):03d} 45 67")
    await asyncio.sleep(max(0.0, FORM_S[speed] - (time.monotonic() - started)))
    await page.get_by_role("button", name="Hemen Ara", exact=True).click()
    await page.locator("[data-lead-status]").filter(has_text="Teşekkürler").wait_for(timeout=15000)


async def visit_site(
    browser: Browser, base: str, visitor: Visitor, clock: datetime | None, agent: str
) -> list[PageSeen]:
    """One visitor in a fresh context (a new person): the script, and what each page was. The
    context outlives the visit, as a phone's browser outlives a closed tab: its last beacon
    leaves from the browser process after the page is gone (run_script closes the browser)."""
    context = await browser.new_context(user_agent=agent, viewport=PHONE, locale="tr-TR")
    errors: list[str] = []
    try:
        context.set_default_timeout(10000)
        if clock:
            await context.clock.install(time=clock)
        await context.route("https://wa.me/**", lambda route: route.fulfill(body=WHATSAPP_STUB))
        await context.add_init_script(DIALER)
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        seen = []
        for index, path in enumerate(visitor.pages):
            # the next page is reached as a link would reach it: with the page before as its referrer
            referer = seen[-1].url if seen else GOOGLE if visitor.entry == "organic" else None
            await page.goto(page_url(base, visitor, index, path), wait_until="load", referer=referer)
            seen.append(PageSeen(index, page.url, path, await page.evaluate("document.body.dataset.v || ''")))
            if index == 0 and visitor.consent == "reject":
                await page.get_by_role("button", name="Reddet").click()
            if visitor.consent == "accept" and index == visitor.consent_on:
                await page.get_by_role("button", name="Kabul").click()
            if index in visitor.quick:
                await asyncio.sleep(QUICK_S)
                continue
            await asyncio.sleep(DWELL_S)
            for _, channel in [t for t in visitor.taps if t[0] == index]:
                await tap(context, page, channel)
            if visitor.form and visitor.form[0] == index:
                await fill_form(page, visitor, visitor.form[1])
            await asyncio.sleep(DWELL_S)
        await page.close()  # hides the page: the tracker's last batch goes out
        return seen
    finally:
        assert errors == [], f"{visitor.name}: uncaught errors in the page: {errors}"


def phone_agent(number: int) -> str:
    """Each person's own phone: the same browser, another build, so no two share a User-Agent."""
    return MOBILE_UA.replace("Chrome/120.0", f"Chrome/120.0.6099.{100 + number}")


async def run_script(base: str, clock: datetime | None) -> dict[str, list[PageSeen]]:
    async with async_playwright() as p:
        gate = asyncio.Semaphore(PARALLEL)

        async def one(visitor: Visitor) -> tuple[str, list[PageSeen]]:
            async with gate:
                # One browser per person. The user agent also as a switch: a beacon sent while a page
                # unloads leaves from the browser process, which the per-context override misses (it
                # would say HeadlessChrome: a bot).
                agent = phone_agent(SCRIPT.index(visitor))
                args = [*CHROMIUM_ARGS, f"--user-agent={agent}"]
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=args)
                try:
                    seen = await visit_site(browser, base, visitor, clock, agent)
                    await asyncio.sleep(DWELL_S)  # the browser runs a moment after the last tab closed
                    return visitor.name, seen
                except Exception as exc:
                    raise AssertionError(f"visitor {visitor.name}: {exc}") from exc
                finally:
                    await browser.close()

        return dict(await asyncio.gather(*(one(visitor) for visitor in SCRIPT)))


def expected_stats(truth: Truth) -> dict[str, Any]:
    """The figures of GET /api/admin/stats that the truth fixes (no sales: nobody sold anything)."""
    leads = list(truth.leads.values())
    totals = {
        "visits": len(truth.visits),
        "visitors": len(truth.visits),  # one person, one visit: every visitor's script takes minutes
        "cta_visits": sum(v.cta for v in truth.visits),
        "leads": len(leads),
    }
    by: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for visit in truth.visits:
        first = visit.pages[0]
        for dim, value in (
            ("source", visit.source),
            ("campaign", visit.campaign),
            ("variant", first.variant),
            ("landing", first.path),
            ("device", "mobile"),
        ):
            by[dim][value]["visits"] += 1
            if visit.cta:
                by[dim][value]["cta_visits"] += 1
    for lead in leads:
        for dim, value in (
            ("source", lead.traffic),
            ("campaign", lead.campaign),
            ("variant", lead.variant),
            ("landing", urlsplit(lead.landing_url).path),
            ("device", "mobile"),
        ):
            by[dim][value].update(leads=1)
    return {
        "totals": totals,
        "by": {dim: {value: dict(c) for value, c in values.items()} for dim, values in by.items()},
        "funnel": [totals["visits"], totals["cta_visits"], totals["leads"], 0],
        "lead_channels": dict(sorted(Counter(lead.channel for lead in leads).items())),
    }


def observed_stats(stats: dict[str, Any]) -> dict[str, Any]:
    keys = ("visits", "cta_visits", "leads")
    return {
        "totals": {k: stats["totals"][k] for k in ("visits", "visitors", "cta_visits", "leads")},
        "by": {
            dim: {
                row["value"]: {k: row[k] for k in keys if row[k]}
                for row in stats["by"].get(dim, [])
                if any(row[k] for k in keys)
            }
            for dim in ("source", "campaign", "variant", "landing", "device")
        },
        "funnel": [step["count"] for step in stats["funnel"]],
        "lead_channels": stats["lead_channels"],
    }


def get_stats(base: str, first: date, last: date) -> dict[str, Any]:
    reply = requests.get(
        f"{base}/api/admin/stats", params={"from": first, "to": last}, headers=ADMIN, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def observed_leads(base: str) -> dict[tuple[str, str], ExpectedLead]:
    listed = requests.get(f"{base}/api/admin/leads", params={"limit": 200}, headers=ADMIN, timeout=30)
    assert listed.status_code == 200, listed.text
    out: dict[tuple[str, str], ExpectedLead] = {}
    for row in listed.json()["leads"]:
        detail = requests.get(f"{base}/api/admin/leads/{row['id']}", headers=ADMIN, timeout=30).json()
        lead, journey = detail["lead"], detail["journey"]
        visitor = parse_qs(urlsplit(lead["url"]).query)["t"][0]
        key = (visitor, f"{lead['source']}@{urlsplit(lead['url']).path}")
        assert key not in out, f"two {lead['source']} leads of {visitor} on {urlsplit(lead['url']).path}"
        out[key] = ExpectedLead(
            channel=lead["source"],
            status=lead["status"],
            traffic=lead["last_source"] or lead["first_source"],
            gclid=lead["gclid"],
            campaign=lead["utm_campaign"],
            variant=lead["variant"],
            landing_url=journey["summary"]["landing_page"],
            journey_paths=scripted_order(visitor, [e for e in journey["events"] if e["type"] == "pageview"]),
        )
    return out


def flat(tree: dict, prefix: str = "") -> dict[str, object]:
    """Nested figures as path -> value, so a failed comparison names the one figure that differs."""
    out: dict[str, object] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}"
        out.update(flat(value, path) if isinstance(value, dict) else {path: value})
    return out


def scripted_order(visitor: str, pageviews: list[dict]) -> list[str]:
    """The journey's page views in time order. `events.ts` has whole seconds (18.16 has no
    DateTime64), so two pages of one second (a page left within 1 s, then the next) have no order
    of their own: within a second they are taken in the script's order, never across seconds."""
    pages = next(v.pages for v in SCRIPT if v.name == visitor)
    rank = {path: pages.index(path) for path in pages}
    return [e["path"] for e in sorted(pageviews, key=lambda e: (e["ts"], rank.get(e["path"], len(pages))))]


@dataclass
class Site:
    built: BuildResult
    workdir: Path


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("truth")
    yield Site(build_into(workdir), workdir)


def server_for(clickhouse, store: Store, site: Site, name: str) -> ServerProcess:
    workdir = site.workdir / name
    workdir.mkdir()
    env = base_env(clickhouse.url, store.database, workdir)
    # the site is served from 127.0.0.1: a referrer there is our own site, as the real origin is in production
    env.update(SITE_DIST=str(site.built.out), LEAD_RATE_LIMIT="1000/minute")
    env["SITE_ORIGINS"] += ",http://127.0.0.1"
    return ServerProcess(env, workdir, workers=1).start()


def settled_stats(base: str, first: date, last: date, expected: dict[str, Any]) -> dict[str, Any]:
    """The stats once the last events are stored (the ring flushes within a second or two)."""
    deadline = time.monotonic() + 20
    while True:
        stats = get_stats(base, first, last)
        if observed_stats(stats) == expected or time.monotonic() > deadline:
            return stats
        time.sleep(0.5)


def cache_fills(store: Store, day: date) -> list[tuple[int, int]]:
    return store.query(
        f"SELECT version, events FROM {store.database}.stats_days WHERE day = %(day)s ORDER BY version",
        {"day": day},
    )


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached-before-the-events"])
def test_stats_and_lead_journeys_equal_the_scripted_truth(clickhouse, built_site: Site, cached: bool) -> None:
    assert len(SCRIPT) >= 20
    store = migrated_store(clickhouse)
    server = server_for(clickhouse, store, built_site, "cached" if cached else "fresh")
    try:
        today = datetime.now(ISTANBUL).date()
        visit_day, clock = today, None
        if cached:
            # Two days back: a closed day (cached once over for two hours) inside the 72 h the
            # server trusts a browser's clock for.
            visit_day = today - timedelta(days=2)
            clock = datetime.combine(visit_day, dtime(12, 0), ISTANBUL).astimezone(UTC)
            assert get_stats(server.url, visit_day, today)["totals"]["visits"] == 0
            assert [events for _, events in cache_fills(store, visit_day)] == [0], "the empty day was cached"

        seen = asyncio.run(run_script(server.url, clock))
        truth = Truth()
        for visitor in SCRIPT:
            truth.add(visitor, seen[visitor.name])
        expected = expected_stats(truth)
        stats = settled_stats(server.url, visit_day, today, expected)

        assert flat(observed_stats(stats)) == flat(expected)
        assert (stats["totals"]["sales"], stats["totals"]["revenue"]) == (0, 0)
        daily = {d["day"]: (d["visits"], d["visitors"], d["leads"]) for d in stats["daily"]}
        visits = expected["totals"]["visits"]
        if cached:
            assert daily[visit_day.isoformat()] == (visits, visits, 0)
            assert daily[today.isoformat()] == (0, 0, expected["totals"]["leads"])
            fills = cache_fills(store, visit_day)
            assert len(fills) >= 2 and fills[-1][1] > 0, "the day was filled again once its events came"
        else:
            assert daily[today.isoformat()] == (visits, visits, expected["totals"]["leads"])
        assert observed_leads(server.url) == truth.leads
        # every "Kabul" reached the server, the one followed at once by a link tap included (issue 22)
        consents = store.query(
            f"SELECT extract(url, 't=([^&]+)') AS who, count() FROM {store.database}.events"
            " WHERE type = 'consent' GROUP BY who"
        )
        assert dict(consents) == {v.name: 1 for v in SCRIPT if v.consent == "accept"}
    finally:
        server.stop()
        store.close()
