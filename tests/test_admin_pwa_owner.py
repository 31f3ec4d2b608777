"""The owner's PWA on a 390x844 phone over the demo week (issue 13 items 6, 7, 8 acceptance).

The data comes only through the real endpoints (eslamed.devtools.demo_traffic); the screenshots
land in tests/artifacts/ for a person to look at.
"""

# Turkish UI strings use the dotless i (U+0131), which RUF001 flags as a look-alike.
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from eslamed.core.clock import ISTANBUL
from eslamed.devtools import demo_spend, demo_traffic
from tests.support.admin import AUTH, SECRET
from tests.support.browser import MOBILE_UA, PHONE, chromium
from tests.support.conversions import settings_for
from tests.support.demo import demo_week_server
from tests.support.leads import SITE
from tests.support.paths import ARTIFACTS
from tests.support.polling import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(clickhouse, store, make_server, tmp_path):
    now = datetime.now(UTC)
    server, clock = demo_week_server(make_server, clickhouse, store, tmp_path, now)
    assert (
        demo_traffic.seed(server.url, SECRET, clock, now, progress=lambda _line: None, site=SITE) is not None
    )
    spend = demo_spend.play(settings_for(clickhouse.url, store, tmp_path), store, now)
    assert spend.ok and spend.rows == 21, spend.reason
    return server


@pytest.fixture
def phone() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, user_agent=MOBILE_UA, locale="tr-TR")
        page = context.new_page()
        page.set_default_timeout(20_000)
        expect.set_options(timeout=15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        assert errors == [], errors


def login(page: Page, url: str) -> None:
    page.goto(f"{url}/admin/")
    page.fill("#secret", SECRET)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#lead-list .card").first).to_be_visible()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# A click id is one long token and may break anywhere; a word of a person's language may not.
LONGEST_WORD = 20


def words_broken_across_lines(page: Page, selector: str) -> list[str]:
    """Words of the elements' text that the layout split over two lines ("fiyatla / rı")."""
    return page.evaluate(
        """([sel, longest]) => {
             const broken = [];
             for (const box of document.querySelectorAll(sel)) {
               const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
               while (walker.nextNode()) {
                 const node = walker.currentNode;
                 for (const m of node.data.matchAll(/\\S+/g)) {
                   if (m[0].length > longest) continue;
                   const range = document.createRange();
                   range.setStart(node, m.index);
                   range.setEnd(node, m.index + m[0].length);
                   const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                   if (lines.size > 1) broken.push(m[0]);
                 }
               }
             }
             return broken;
           }""",
        [selector, LONGEST_WORD],
    )


def svg_texts(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} svg text").all_text_contents()


def texts_inside_their_chart(page: Page, selector: str) -> bool:
    """No label runs past its chart's right edge (where the old funnel cut "500 (%")."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel + ' svg')].every((svg) => {
             const box = svg.getBoundingClientRect();
             return [...svg.querySelectorAll('text')].every((t) => t.getBoundingClientRect().right <= box.right + 1);
           })""",
        selector,
    )


def test_stats_page_reads_on_a_phone(demo_server, phone: Page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    login(phone, demo_server.url)
    phone.goto(f"{demo_server.url}/admin/#/stats")
    daily = phone.locator("#chart-daily svg.chart")
    expect(daily).to_have_count(4)
    assert [daily.nth(i).get_attribute("data-series") for i in range(4)] == [
        "visits",
        "leads",
        "sales",
        "cost",
    ]
    titles = phone.locator("#chart-daily svg text.title").all_text_contents()
    assert [t.split(" · ")[0] for t in titles] == ["Ziyaret", "Talep", "Satış", "Reklam harcaması"]
    assert titles[3].endswith(" TL") and "," in titles[3], f"spend in lira as the owner reads it: {titles[3]}"
    funnel = svg_texts(phone, "#chart-funnel")
    assert funnel[0].startswith("Ziyaret") and any("önceki adıma göre %" in t for t in funnel)
    widths = phone.evaluate(
        "[...document.querySelectorAll('#chart-funnel svg rect')].map((r) => Number(r.getAttribute('width')))"
    )
    assert widths and max(widths) <= 360, "no funnel bar runs past the chart"
    for chart in ("#chart-funnel", "#chart-sources", "#chart-campaigns", "#chart-devices", "#chart-variants"):
        assert texts_inside_their_chart(phone, chart), chart
    variants = phone.locator("#chart-variants svg text.label").all_text_contents()
    assert "home" not in variants
    values = [
        int(v.replace(".", "")) for v in phone.locator("#chart-variants svg text.value").all_text_contents()
    ]
    assert values == sorted(values, reverse=True), "bars biggest first"
    campaigns = phone.locator("#chart-campaigns svg text.label").all_text_contents()
    known = {campaign for campaign, _kw, _page in demo_traffic.ADS} | {"(kampanya yok)"}
    assert campaigns and set(campaigns) <= known, f"names are written in full: {campaigns}"
    devices = set(phone.locator("#chart-devices svg text.label").all_text_contents())
    assert devices == {"Mobil", "Masaüstü", "Tablet"}, devices
    fits_the_phone(phone)
    phone.screenshot(path=str(ARTIFACTS / "pwa-stats-390x844.png"), full_page=True)


def _details(url: str, status: str) -> list[dict]:
    leads = requests.get(f"{url}/api/admin/leads?status={status}", headers=AUTH, timeout=10).json()["leads"]
    return [requests.get(f"{url}/api/admin/leads/{r['id']}", headers=AUTH, timeout=10).json() for r in leads]


def _from_an_ad(detail: dict) -> bool:
    return bool(detail["lead"]["utm_term"] and detail["journey"]["events"] and detail["lead"]["phone"])


def pick_lead(url: str) -> dict:
    """A sold lead that came from an ad (keyword and journey). The demo week's four sales go to its first
    four form leads, and whether those were ad clicks depends on the hour the week is played at (this
    test failed at 06:38 UTC); when none was, the owner confirms a sale on an ad lead, as in the PWA."""
    sold = [d for d in _details(url, "CONVERTED") if _from_an_ad(d)]
    if sold:
        return sold[0]
    lead = next(d for d in _details(url, "CONTACTED") + _details(url, "NEW") if _from_an_ad(d))["lead"]
    reply = requests.post(
        f"{url}/api/admin/leads/{lead['id']}/convert",
        json={"revenue": "6500.00", "deal_type": "satis"},
        headers=AUTH,
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return requests.get(f"{url}/api/admin/leads/{lead['id']}", headers=AUTH, timeout=10).json()


def test_stats_show_spend_and_what_each_campaign_earns_in_lira(demo_server, phone: Page) -> None:
    """Issue 25: spend chart and campaign table, checked against the stats API the page reads."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    today = datetime.now(UTC).astimezone(ISTANBUL).date()
    span = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    body = requests.get(f"{demo_server.url}/api/admin/stats", params=span, headers=AUTH, timeout=30).json()
    login(phone, demo_server.url)
    phone.goto(f"{demo_server.url}/admin/#/stats")
    table = phone.locator("#campaign-table table.campaigns")
    expect(table).to_be_visible()
    heads = table.locator("th").all_text_contents()
    assert heads == ["Kampanya", "Harcama", "Talep", "Talep başı maliyet", "Satış", "Ciro", "ROAS"]
    rows = table.locator("tbody tr")
    spent = sorted((r for r in body["by"]["campaign"] if r["cost"] > 0), key=lambda r: -r["cost"])
    assert len(spent) == 3, "the demo's three campaigns have spend"
    for i, row in enumerate(spent):
        cells = rows.nth(i).locator("td").all_text_contents()
        assert cells[0] == row["value"] and rows.nth(i).get_attribute("data-campaign") == row["campaign_id"]
        lira = f"{row['cost']:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " TL"
        assert cells[1] == lira, (cells, row)
        assert cells[2] == str(row["leads"])
    assert phone.locator("#kpis").inner_text().count(" TL") >= 3
    expect(phone.locator("#ad-import")).to_contain_text("Reklam harcaması güncellendi")
    fits_the_phone(phone)
    phone.locator("#campaign-table").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "pwa-stats-spend-390x844.png"))
    phone.locator("#chart-daily").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "pwa-stats-spend-chart-390x844.png"))


def test_lead_page_has_journey_upload_state_keyword_and_the_owner_tools(demo_server, phone: Page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    detail = pick_lead(demo_server.url)
    lead = detail["lead"]
    login(phone, demo_server.url)
    listed = phone.locator(f'[data-lead-id="{lead["id"]}"]')
    expect(listed).to_contain_text(lead["phone_display"])
    assert lead["phone_display"].startswith("05") and " " in lead["phone_display"]

    phone.goto(f"{demo_server.url}/admin/#/lead/{lead['id']}")
    expect(phone.locator("#lead-phone")).to_have_text(lead["phone_display"])
    expect(phone.locator("#call")).to_have_attribute("href", f"tel:{lead['phone']}")
    expect(phone.locator("#lead-ad")).to_contain_text(f"Anahtar kelime{lead['utm_term']}")
    expect(phone.locator("#lead-ad")).to_contain_text(f"Kampanya{lead['utm_campaign']}")
    expect(phone.locator("#lead-sales")).to_contain_text("Google: Bekliyor")
    expect(phone.locator("#journey .timeline li").first).to_be_visible()
    landing = requests.utils.urlparse(detail["journey"]["summary"]["landing_page"]).path
    expect(phone.locator("#journey dl.facts")).to_contain_text(f"Giriş sayfası{landing}Kaynak")
    device = {"mobile": "Mobil", "desktop": "Masaüstü", "tablet": "Tablet"}[
        detail["journey"]["summary"]["device"]
    ]
    expect(phone.locator("#journey dl.facts")).to_contain_text(f"Cihaz{device}")
    expect(phone.locator("#sale-second")).to_have_count(0)
    expect(phone.locator("#sale-form")).to_be_hidden()
    expect(phone.locator("#add-second")).to_be_visible()
    fits_the_phone(phone)
    assert words_broken_across_lines(phone, "dl.facts dd") == []
    phone.screenshot(path=str(ARTIFACTS / "pwa-lead-390x844.png"), full_page=True)

    phone.get_by_role("button", name="Tutarı / tarihi düzelt").click()
    sale_id = detail["conversions"][0]["cid"]
    phone.fill(f"#fix-amount-{sale_id}", "7.250")
    phone.get_by_role("button", name="Düzeltmeyi kaydet").click()
    expect(phone.locator("#lead-sales")).to_contain_text("7.250,00 TL")
    expect(phone.locator("#history")).to_contain_text("Satış düzeltildi")

    phone.fill("#note-input", "Cihaz teslim edildi, memnun")
    phone.get_by_role("button", name="Not ekle").click()
    expect(phone.locator("#history")).to_contain_text("Cihaz teslim edildi, memnun")


def test_a_status_is_undone_in_one_tap(demo_server, phone: Page) -> None:
    leads = requests.get(f"{demo_server.url}/api/admin/leads?status=NEW", headers=AUTH, timeout=10).json()
    lead_id = leads["leads"][0]["id"]
    login(phone, demo_server.url)
    phone.goto(f"{demo_server.url}/admin/#/lead/{lead_id}")
    phone.locator("#status-buttons [data-status=LOST]").click()
    expect(phone.locator("#lead-status")).to_have_text("Kaybedildi")
    phone.locator("#undo-status").click()
    expect(phone.locator("#lead-status")).to_have_text("Yeni")
    expect(phone.locator("#history")).to_contain_text("Geri alındı: Kaybedildi → Yeni")


def test_a_slow_answer_for_a_view_already_left_does_not_replace_the_view_on_screen(
    clickhouse, store, make_server
) -> None:
    server = make_server(clickhouse, store, workers=1)
    with chromium() as browser:
        # blocked: a service worker's fetches would pass the page's route by
        context = browser.new_context(viewport=PHONE, user_agent=MOBILE_UA, service_workers="block")
        page = context.new_page()
        page.set_default_timeout(20_000)
        held: list[Route] = []
        page.route("**/api/admin/conversions", lambda route: held.append(route))
        page.goto(f"{server.url}/admin/")
        page.fill("#secret", SECRET)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#lead-list")).to_contain_text("Talep yok")
        page.evaluate("location.hash = '#/sales'")
        wait_for(lambda: held, what="the sales list asked for", sleep=page.wait_for_timeout)
        page.evaluate("location.hash = '#/stats'")
        expect(page.locator("#kpis")).to_be_visible()
        with page.expect_request_finished(lambda request: request.url.endswith("/api/admin/conversions")):
            held[0].continue_()
        page.wait_for_timeout(500)  # what the old app took to show the late answer: a few milliseconds
        expect(page.locator("#view h2")).to_have_text("İstatistik")
        expect(page.locator("#kpis")).to_be_visible()
