"""Issue 16 end to end: ad click -> WhatsApp tap in Chromium -> Meta's webhook delivers the prefilled text
-> the tap lead has the sender's number -> a sale on it reaches the Google Ads peer with gclid and phone hash.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.admin import AUTH, confirm_sale
from tests.support.browser import MOBILE_UA, PHONE, chromium
from tests.support.meta import deliver, inbound_env, text_message
from tests.support.polling import wait_for
from tests.support.site import build_into

pytestmark = pytest.mark.browser

SENDER = "905321234567"
WHATSAPP_STUB = "<!doctype html><title>WhatsApp</title>"


def test_ad_click_whatsapp_tap_message_and_sale_upload_with_gclid_and_phone(
    clickhouse, store, make_server, tmp_path, google
) -> None:
    peer, env = google
    built = build_into(tmp_path)
    server = make_server(
        clickhouse,
        store,
        workers=1,
        SITE_DIST=str(built.out),
        LEAD_RATE_LIMIT="1000/minute",
        GOOGLE_ADS_UPLOAD_INTERVAL_S="0.3",
        **env,
        **inbound_env(),
    )
    gclid = f"Cj0KCQiA-{uuid.uuid4().hex[:12]}"

    with chromium() as browser:
        context = browser.new_context(user_agent=MOBILE_UA, viewport=PHONE, locale="tr-TR")
        context.route("https://wa.me/**", lambda route: route.fulfill(body=WHATSAPP_STUB))
        page = context.new_page()
        page.goto(f"{server.url}/fiyat?gclid={gclid}", wait_until="load")
        page.get_by_role("button", name="Kabul").click()
        with context.expect_page() as opened:
            page.locator("[data-cta=primary] a").click()
        wa_url = opened.value.url
        storage = page.evaluate("() => ({...localStorage, ...sessionStorage})")
        context.close()

    assert wa_url.startswith("https://wa.me/905325550123?text=")
    [text] = parse_qs(urlsplit(wa_url).query)["text"]
    code = re.fullmatch(r".+ \(ref ([A-HJ-NP-Z2-9]{5})\)", text)
    assert code, text
    assert not any(code.group(1) in value for value in storage.values())  # the code is never stored

    def tap_lead() -> list[dict]:
        return store.query_dicts(
            f"SELECT toString(lead_id) AS id FROM {store.database}.leads WHERE gclid = %(g)s AND source = 'whatsapp'",
            {"g": gclid},
        )

    lead_id = wait_for(tap_lead, what="the WhatsApp tap lead")[0]["id"]
    answer = deliver(server.url, text_message(SENDER, text, f"wamid.{uuid.uuid4().hex}"))
    assert answer.json()["messages"] == [{"outcome": "attached", "lead_id": lead_id}]

    detail = requests.get(f"{server.url}/api/admin/leads/{lead_id}", headers=AUTH, timeout=10).json()["lead"]
    assert (detail["phone"], detail["gclid"], detail["message"], detail["consent"]) == (
        "+905321234567",
        gclid,
        text,
        1,
    )

    confirm_sale(server.url, lead_id, "15000")
    [request] = wait_for(lambda: peer.requests("UploadClickConversions"), timeout_s=30, what="the upload")
    [conversion] = request.conversions
    assert conversion.gclid == gclid
    assert [u.hashed_phone_number for u in conversion.user_identifiers] == [
        hashlib.sha256(b"+905321234567").hexdigest()
    ]
