"""The built site in headless Chromium against a real gunicorn and ClickHouse (issue 6 acceptance).

One server and one browser serve the module; every test opens its own browser context, so
cookies and storage never leak between tests. The lead tests need POST /api/lead (built on
another branch); they skip, saying so, while this server answers 404 for it.
"""

# Turkish UI strings use the dotless i (U+0131), which RUF001 flags as a look-alike.
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, Route

from eslamed.core.store import Store
from eslamed.site.builder import BuildResult
from tests.conftest import migrated_store
from tests.support.browser import DESKTOP, MOBILE_UA, PHONE
from tests.support.paths import ARTIFACTS
from tests.support.polling import wait_for
from tests.support.server import ServerProcess, base_env
from tests.support.site import build_into

pytestmark = pytest.mark.browser

GCLID = "TEST-GCLID-1"
LANDING = f"/hizmetler/oksijen-tupu?gclid={GCLID}"
WHATSAPP_STUB = "<!doctype html><title>WhatsApp</title>"


@dataclass
class Site:
    server: ServerProcess
    store: Store
    built: BuildResult
    workdir: Path

    @property
    def url(self) -> str:
        return self.server.url


def server_env(site_dist: Path, clickhouse_url: str, database: str, workdir: Path) -> dict[str, str]:
    env = base_env(clickhouse_url, database, workdir)
    env.update(SITE_DIST=str(site_dist), LEAD_RATE_LIMIT="1000/minute")
    return env


@pytest.fixture(scope="module")
def site(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("site")
    built = build_into(workdir)
    store = migrated_store(clickhouse)
    server = ServerProcess(server_env(built.out, clickhouse.url, store.database, workdir), workdir, workers=1)
    server.start()
    yield Site(server, store, built, workdir)
    server.stop()
    store.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator:
    """Factory for isolated contexts with a phone UA; wa.me is answered locally (no internet).

    At teardown it asserts that no page saw an uncaught error: our scripts must never throw.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def factory(viewport: dict[str, int] = PHONE, page_errors_expected: bool = False) -> BrowserContext:
        context = browser.new_context(user_agent=MOBILE_UA, viewport=viewport, locale="tr-TR")
        context.route("https://wa.me/**", lambda route: route.fulfill(body=WHATSAPP_STUB))
        if not page_errors_expected:
            context.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def open_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url, wait_until="load")
    return page


def events(store: Store, **where: str) -> list[dict]:
    condition = " AND ".join(f"{name} = %({name})s" for name in where)
    return store.query_dicts(
        f"SELECT event_id, type, path, url, gclid, visitor_id, props_keys, props_values "
        f"FROM {store.database}.events WHERE {condition} ORDER BY ts",
        where,
    )


def events_with_marker(store: Store, marker: str) -> list[dict]:
    return store.query_dicts(
        f"SELECT event_id, type, path, gclid, visitor_id FROM {store.database}.events "
        "WHERE position(url, %(m)s) > 0",
        {"m": marker},
    )


def leads(store: Store, **where: str) -> list[dict]:
    condition = " AND ".join(f"{name} = %({name})s" for name in where)
    return store.query_dicts(
        f"SELECT lead_id, source, name, phone, gclid, visitor_id, consent, variant "
        f"FROM {store.database}.leads FINAL WHERE {condition}",
        where,
    )


def storage(page: Page) -> dict:
    return page.evaluate("() => ({local: {...localStorage}, session: {...sessionStorage}})")


def cookie_names(context: BrowserContext) -> set[str]:
    return {c["name"] for c in context.cookies()}


def require_lead_api(site: Site) -> None:
    answer = requests.post(f"{site.url}/api/lead", json={}, headers={"User-Agent": MOBILE_UA}, timeout=5)
    if answer.status_code == 404:
        pytest.skip("POST /api/lead is not in this branch yet (lead issue); this test runs once it is merged")


def test_landing_before_consent_sends_the_gclid_and_stores_nothing(site: Site, new_context) -> None:
    context = new_context()
    page = open_page(context, site.url + LANDING)

    rows = wait_for(
        lambda: events(site.store, type="pageview", gclid=GCLID, path="/hizmetler/oksijen-tupu"),
        what="pageview with the gclid",
    )
    assert rows[0]["visitor_id"] == ""
    assert dict(zip(rows[0]["props_keys"], rows[0]["props_values"], strict=True))["variant"] == "oksijen-tupu"

    assert page.locator("#consent").is_visible()
    assert context.cookies() == []
    assert storage(page) == {"local": {}, "session": {}}
    # The click id still travels with this page: the lead form's hidden field carries it.
    assert page.locator("form[data-lead-form] input[name=gclid]").input_value() == GCLID

    marker = uuid.uuid4().hex
    page.goto(f"{site.url}/fiyat?visit={marker}", wait_until="load")
    later = wait_for(lambda: events_with_marker(site.store, marker), what="second pageview")
    assert [(r["path"], r["gclid"], r["visitor_id"]) for r in later] == [("/fiyat", "", "")]
    assert context.cookies() == []
    assert storage(page) == {"local": {}, "session": {}}


def test_after_kabul_the_gclid_survives_a_later_visit(site: Site, new_context) -> None:
    context = new_context()
    page = open_page(context, site.url + LANDING)
    page.get_by_role("button", name="Kabul").click()
    assert page.locator("#consent").is_hidden()

    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["esl_consent"]["value"] == "1"
    assert GCLID in cookies["esl_a"]["value"]
    assert cookies["esl_a"]["expires"] > time.time() + 89 * 86400
    local = storage(page)["local"]
    assert GCLID in local["esl_a"]
    visitor_id = dict(parse_qsl(local["esl_a"]))["visitor_id"]
    assert uuid.UUID(visitor_id)
    page.close()

    later = open_page(context, site.url + "/fiyat")
    rows = wait_for(
        lambda: events(site.store, type="pageview", path="/fiyat", visitor_id=visitor_id),
        what="pageview of /fiyat by the same visitor",
    )
    assert rows[0]["gclid"] == GCLID
    assert GCLID not in rows[0]["url"]
    assert later.locator("form[data-lead-form] input[name=gclid]").input_value() == GCLID
    assert later.locator("#consent").is_hidden()


def test_reddet_keeps_only_the_choice(site: Site, new_context) -> None:
    context = new_context()
    page = open_page(context, site.url + LANDING)
    page.get_by_role("button", name="Reddet").click()
    assert cookie_names(context) == {"esl_consent"}
    assert context.cookies()[0]["value"] == "0"
    assert storage(page) == {"local": {}, "session": {}}

    page.get_by_role("button", name="Çerez ayarları").click()
    page.get_by_label("Analitik ve pazarlama çerezleri").check()
    page.get_by_role("button", name="Seçimimi kaydet").click()
    assert {c["name"]: c["value"] for c in context.cookies()}["esl_consent"] == "1"
    assert GCLID in storage(page)["local"]["esl_a"]


def test_sticky_bar_is_visible_on_phones_and_hidden_on_desktop(site: Site, new_context) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = open_page(new_context(PHONE), site.url + "/acil")
    assert phone.locator("[data-sticky-bar]").is_visible()
    box = phone.locator("[data-sticky-bar]").bounding_box()
    assert box is not None and box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)
    phone.screenshot(path=str(ARTIFACTS / "site-acil-390x844.png"))

    desktop = open_page(new_context(DESKTOP), site.url + "/acil")
    assert desktop.locator("[data-sticky-bar]").is_hidden()
    desktop.screenshot(path=str(ARTIFACTS / "site-acil-1280x800.png"))
    assert (ARTIFACTS / "site-acil-390x844.png").stat().st_size > 0


def test_acil_and_fiyat_have_different_primary_ctas(site: Site, new_context) -> None:
    context = new_context()
    acil = open_page(context, site.url + "/acil")
    call = acil.locator("[data-cta=primary] a")
    assert call.count() == 1
    assert call.get_attribute("href").startswith("tel:+90")
    assert call.inner_text().startswith("Hemen Ara")

    fiyat = open_page(context, site.url + "/fiyat")
    whatsapp = fiyat.locator("[data-cta=primary] a")
    assert whatsapp.count() == 1
    assert whatsapp.get_attribute("href").startswith("https://wa.me/")
    assert whatsapp.inner_text() == "WhatsApp'tan fiyat al"
    assert fiyat.locator("table.prices tbody tr").count() >= 5


def test_keyword_changes_the_headline_as_text_only(site: Site, new_context) -> None:
    context = new_context()
    dialogs: list[str] = []
    context.on("page", lambda p: p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
    attack = "<script>alert(1)</script>"
    page = open_page(context, f"{site.url}/?kw={quote(attack)}")
    heading = page.locator("h1")
    assert heading.text_content() == f"{attack}: İstanbul'da aynı gün teslimat"
    assert heading.locator("script").count() == 0
    assert dialogs == []

    page.goto(f"{site.url}/fiyat?utm_term={quote('oksijen tüpü')}", wait_until="load")
    assert page.locator("h1").text_content() == "Oksijen tüpü fiyatları"
    page.goto(f"{site.url}/fiyat", wait_until="load")
    assert page.locator("h1").text_content() == "Güncel fiyatlar"


def test_whatsapp_tap_records_an_event_and_a_lead(site: Site, new_context) -> None:
    gclid = f"TEST-GCLID-WA-{uuid.uuid4().hex[:8]}"
    context = new_context()
    page = open_page(context, f"{site.url}/fiyat?gclid={gclid}")
    with context.expect_page() as opened:
        page.locator("[data-cta=primary] a").click()
    assert opened.value.url.startswith("https://wa.me/905325550123")

    rows = wait_for(lambda: events(site.store, type="whatsapp_click", gclid=gclid), what="whatsapp_click")
    props = dict(zip(rows[0]["props_keys"], rows[0]["props_values"], strict=True))
    assert (rows[0]["path"], props["el"], props["variant"]) == ("/fiyat", "fiyat-wa", "fiyat")

    require_lead_api(site)
    lead = wait_for(lambda: leads(site.store, gclid=gclid), what="WhatsApp lead")
    assert [(r["source"], r["variant"]) for r in lead] == [("whatsapp", "fiyat")]


def test_call_taps_scroll_depth_and_page_errors_are_tracked(site: Site, new_context) -> None:
    gclid = f"TEST-GCLID-EVENTS-{uuid.uuid4().hex[:8]}"
    context = new_context(page_errors_expected=True)
    page = open_page(context, f"{site.url}/kvkk?gclid={gclid}")
    page.locator("[data-sticky-bar] a[href^='tel:']").click()
    page.mouse.wheel(0, 20000)
    page.evaluate("setTimeout(() => { throw new Error('deneme hatası') })")

    def recorded() -> dict[str, list[dict]]:
        rows = events(site.store, gclid=gclid)
        by_type: dict[str, list[dict]] = {}
        for row in rows:
            by_type.setdefault(row["type"], []).append(
                dict(zip(row["props_keys"], row["props_values"], strict=True))
            )
        return by_type if {"call_click", "scroll", "error"} <= by_type.keys() else {}

    by_type = wait_for(recorded, what="call, scroll and error events")
    assert [props["el"] for props in by_type["call_click"]] == ["bar-call"]
    assert sorted(int(props["depth"]) for props in by_type["scroll"]) == [25, 50, 75, 100]
    assert [props["msg"] for props in by_type["error"]] == ["Uncaught Error: deneme hatası"]


def test_form_lead_carries_the_gclid_of_the_landing_visit(site: Site, new_context) -> None:
    require_lead_api(site)
    gclid = f"TEST-GCLID-FORM-{uuid.uuid4().hex[:8]}"
    context = new_context()
    page = open_page(context, f"{site.url}/hizmetler/oksijen-tupu?gclid={gclid}")
    fill_form(page, "Ayşe Yılmaz", "0532 123 45 67")
    page.get_by_role("button", name="Hemen Ara", exact=True).click()
    status = page.locator("[data-lead-status]")
    status.filter(has_text="Teşekkürler").wait_for()

    rows = wait_for(lambda: leads(site.store, gclid=gclid), what="form lead")
    assert [(r["source"], r["name"], r["variant"], r["visitor_id"]) for r in rows] == [
        ("form", "Ayşe Yılmaz", "oksijen-tupu", "")
    ]
    assert "".join(ch for ch in rows[0]["phone"] if ch.isdigit()).endswith("5321234567")
    assert context.cookies() == []
    assert storage(page) == {"local": {}, "session": {}}


def fill_form(page: Page, name: str, phone: str) -> None:
    page.get_by_label("Adınız").fill(name)
    page.get_by_label("Telefon numaranız").fill(phone)


def test_form_posted_while_the_api_is_down_is_delivered_later(
    site: Site, clickhouse, store: Store, new_context, tmp_path: Path
) -> None:
    require_lead_api(site)
    env = server_env(site.built.out, clickhouse.url, store.database, tmp_path)
    server = ServerProcess(env, tmp_path, workers=1).start()
    try:
        gclid = f"TEST-GCLID-DOWN-{uuid.uuid4().hex[:8]}"
        context = new_context()
        page = open_page(context, f"{server.url}/acil?gclid={gclid}")
        server.stop()

        fill_form(page, "Mehmet Kaya", "0533 765 43 21")
        page.get_by_role("button", name="Hemen Ara", exact=True).click()
        page.locator("[data-lead-status]").filter(has_text="bu cihazda saklandı").wait_for()
        kept = json.loads(storage(page)["local"]["esl_leads"])
        assert [(k["gclid"], k["name"], k["source"]) for k in kept] == [(gclid, "Mehmet Kaya", "form")]

        server.start()
        rows = wait_for(lambda: leads(store, gclid=gclid), timeout_s=45, what="lead delivered after restart")
        assert [(r["source"], str(r["lead_id"])) for r in rows] == [("form", kept[0]["lead_id"])]
        page.locator("[data-lead-status]").filter(has_text="şimdi iletildi").wait_for()
        assert "esl_leads" not in storage(page)["local"]
    finally:
        server.stop()


def pumping(page: Page):
    """A sleep that lets Playwright deliver events and run route handlers meanwhile."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


ABORT = -1  # answer a post with a network failure instead of a status


def fetch_only_tracking(context: BrowserContext, answers: list[int]) -> list[dict]:
    """Refuse sendBeacon so batches go by fetch, whose outcome tracking.js sees; log every batch.

    The first posts are answered from `answers` (a status, or ABORT for a connection refused);
    later ones reach the real server.
    """
    batches: list[dict] = []
    scripted = iter(answers)

    def answer(route: Route) -> None:
        batches.append({"events": json.loads(route.request.post_data or "{}")["events"]})
        status = next(scripted, 0)
        if status == ABORT:
            route.abort("connectionrefused")
        elif status:
            route.fulfill(status=status, body="{}", content_type="application/json")
        else:
            route.continue_()

    context.add_init_script("navigator.sendBeacon = () => false;")
    context.route("**/api/track", answer)
    return batches


def attempts_of(batches: list[dict], event_type: str) -> list[list[str]]:
    return [[e["event_id"] for e in b["events"]] for b in batches if b["events"][0]["type"] == event_type]


def test_the_page_view_leaves_without_waiting_for_the_batching_timer(site: Site, new_context) -> None:
    """A page closed within a second on a busy phone may never run its hide handler, so the page
    view must not wait for the 1 s batch: with the page's clock paused no timer ever fires, and
    the page view is stored all the same (issue 13 item 2)."""
    context = new_context()
    context.clock.install()
    context.clock.pause_at(time.time() + 60)
    marker = uuid.uuid4().hex
    page = open_page(context, f"{site.url}/acil?visit={marker}")
    rows = wait_for(lambda: events_with_marker(site.store, marker), what="pageview with timers paused")
    assert [(r["type"], r["path"]) for r in rows] == [("pageview", "/acil")]
    page.close()


@pytest.mark.parametrize("failure", [503, ABORT], ids=["503", "network-error"])
def test_tracking_retries_5xx_and_network_errors_with_the_same_event_ids(
    site: Site, new_context, failure: int
) -> None:
    context = new_context()
    batches = fetch_only_tracking(context, [failure, failure])
    marker = uuid.uuid4().hex
    page = open_page(context, f"{site.url}/iletisim?visit={marker}")

    rows = wait_for(
        lambda: events_with_marker(site.store, marker), what="pageview after the retries", sleep=pumping(page)
    )
    tries = attempts_of(batches, "pageview")
    assert len(tries) == 3 and tries[0] == tries[1] == tries[2], "each retry resends the same event ids"
    assert [(r["type"], str(r["event_id"])) for r in rows] == [("pageview", tries[0][0])]


def test_tracking_does_not_retry_a_400(site: Site, new_context) -> None:
    context = new_context()
    batches = fetch_only_tracking(context, [400, 400, 400])
    page = open_page(context, f"{site.url}/iletisim")
    wait_for(lambda: batches, what="the first post", sleep=pumping(page))
    page.wait_for_timeout(3500)  # a 5xx would have been retried after 1 s and again 2 s later
    assert len(attempts_of(batches, "pageview")) == 1
