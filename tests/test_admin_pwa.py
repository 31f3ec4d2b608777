"""The admin PWA in headless Chromium against the real server and ClickHouse, at a phone viewport."""

from __future__ import annotations

import struct
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.support.admin import SECRET
from tests.support.browser import PHONE, chromium
from tests.support.clients import BROWSER_UA
from tests.support.events import event_row
from tests.support.leads import form_lead, post_lead
from tests.support.paths import ARTIFACTS

LANDING = "https://eslamed.example/oksijen-konsantratoru?gclid=TeSt-GCLID-42"
GCLID = "TeSt-GCLID-42"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_manifest(url: str) -> None:
    reply = requests.get(f"{url}/admin/manifest.webmanifest", headers={"User-Agent": BROWSER_UA}, timeout=5)
    assert reply.headers["Content-Type"].startswith("application/manifest+json")
    manifest = reply.json()
    assert manifest["start_url"] == "/admin/" and manifest["scope"] == "/admin/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "tr" and manifest["name"]
    sizes = set()
    for icon in manifest["icons"]:
        data = requests.get(f"{url}{icon['src']}", timeout=5).content
        width, height = png_size(data)
        assert f"{width}x{height}" == icon["sizes"] and icon["type"] == "image/png"
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def create_lead(server_url: str, visitor_id: str) -> str:
    """Through the real POST /api/lead, as the site sends it."""
    lead_id = str(uuid.uuid4())
    body = form_lead(
        lead_id=lead_id,
        name="Ayşe Yılmaz",
        phone="0532 111 22 33",
        url=LANDING,
        gclid=GCLID,
        visitor_id=visitor_id,
    )
    reply = post_lead(server_url, body)
    assert reply.status_code == 201, reply.text
    return lead_id


def seed_journey(store, visitor_id: str) -> None:
    t0 = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=10)
    store.insert_rows(
        "events",
        [
            event_row(
                t0,
                visitor_id=visitor_id,
                session_id="s-1",
                url=LANDING,
                source="paid",
                gclid=GCLID,
                city="Istanbul",
            ),
            event_row(
                t0 + timedelta(minutes=2),
                visitor_id=visitor_id,
                session_id="s-1",
                url="https://eslamed.example/fiyat",
            ),
            event_row(t0 + timedelta(minutes=3), type="call_click", visitor_id=visitor_id, session_id="s-1"),
        ],
    )


@pytest.mark.browser
def test_owner_logs_in_opens_lead_confirms_sale_and_reads_offline(clickhouse, store, make_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = make_server(clickhouse, store)
    visitor_id = f"v-{uuid.uuid4().hex[:8]}"
    seed_journey(store, visitor_id)
    lead_id = create_lead(server.url, visitor_id)
    check_manifest(server.url)

    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, user_agent=BROWSER_UA, locale="tr-TR")
        page = context.new_page()
        page.set_default_timeout(20_000)  # the box is shared: be patient, never flaky
        expect.set_options(timeout=15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/admin/")

        page.fill("#secret", "wrong-secret")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-error")).to_have_text("Yanlış şifre")
        page.fill("#secret", SECRET)
        page.click("#login-form button[type=submit]")
        card = page.locator(f'[data-lead-id="{lead_id}"]')
        expect(card).to_contain_text("Ayşe Yılmaz")
        expect(card).to_contain_text("Yeni")
        expect(page.locator("#new-badge")).to_have_text("1")
        assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith(
            "/admin/sw.js"
        )
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.click("#refresh")  # now through the service worker, which keeps this list for offline use
        expect(card).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "admin-leads.png"), full_page=True)

        card.click()
        journey = page.locator("#journey")
        expect(journey).to_contain_text("Giriş sayfası/oksijen-konsantratoru")
        expect(journey).to_contain_text(GCLID)
        expect(journey).to_contain_text("Arama butonu")
        expect(page.locator("#call")).to_have_attribute("href", "tel:+905321112233")
        expect(page.locator("#whatsapp")).to_have_attribute("href", "https://wa.me/905321112233")
        page.screenshot(path=str(ARTIFACTS / "admin-lead-detail.png"), full_page=True)

        page.fill("#sale-amount", "15.000")
        page.select_option("#sale-type", "satis")
        page.click("#sale-submit")
        expect(page.locator("#confirm-text")).to_contain_text("15.000,00 TL tutarında satış onaylansın mı?")
        page.click("#confirm-ok")
        expect(page.locator("#sale-ok")).to_contain_text("Satış kaydedildi: 15.000,00 TL")
        expect(page.locator("#lead-status")).to_have_text("Satış")

        conversions = store.query_dicts(
            f"SELECT state, revenue, currency, deal_type, gclid FROM {store.database}.conversions"
            " WHERE lead_id = %(id)s",
            {"id": uuid.UUID(lead_id)},
        )
        assert conversions == [
            {
                "state": "PENDING",
                "revenue": Decimal("15000.00"),
                "currency": "TRY",
                "deal_type": "satis",
                "gclid": GCLID,
            }
        ]
        status = store.query(
            f"SELECT argMax(status, version) FROM {store.database}.leads WHERE lead_id = %(id)s",
            {"id": uuid.UUID(lead_id)},
        )[0][0]
        assert status == "CONVERTED"

        page.goto(f"{server.url}/admin/#/stats")
        expect(page.locator("#chart-daily svg.chart")).to_have_count(3)
        expect(page.locator("#kpis")).to_contain_text("Satış")
        expect(page.locator("#chart-sources svg rect")).not_to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "admin-stats.png"), full_page=True)

        page.goto(f"{server.url}/admin/#/sales")
        expect(page.locator("#ads-missing")).to_contain_text("Google Ads yapılandırılmadı")
        expect(page.get_by_text("15.000,00 TL · Satış")).to_be_visible()
        sale_text = page.locator("div[id^=sale-] a").first.evaluate(
            "(a) => { const s = getComputedStyle(a); return [s.textDecorationLine, s.color]; }"
        )
        body_color = page.evaluate("getComputedStyle(document.body).color")
        assert sale_text == ["none", body_color], "a sale card reads as a card, not as a blue underlined link"
        counts = page.locator("#sale-counts .chip")
        expect(counts).to_have_count(6)
        rights = counts.evaluate_all("(chips) => chips.map((c) => c.getBoundingClientRect().right)")
        assert max(rights) <= PHONE["width"], f"every upload count is on screen: {rights}"
        page.screenshot(path=str(ARTIFACTS / "admin-sales.png"), full_page=True)

        page.goto(f"{server.url}/admin/#/leads")
        expect(card).to_contain_text("Satış")
        time.sleep(0.3)  # let the service worker finish storing the fresh list
        server.stop()
        context.set_offline(True)
        page.reload()
        expect(page.locator("#offline")).to_be_visible()
        expect(page.locator(f'[data-lead-id="{lead_id}"]')).to_contain_text("Ayşe Yılmaz")
        page.screenshot(path=str(ARTIFACTS / "admin-leads-offline.png"), full_page=True)
        assert errors == []
