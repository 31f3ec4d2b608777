"""What a phone visitor sees and what reaches the owner, in headless Chromium (issue 13, items 4 and 9).

The built site is served by a real gunicorn over a real ClickHouse; leads reach a local Telegram
peer. No row is written by the test: every lead comes from the real form in the real browser.
"""

# Turkish UI strings use the dotless i (U+0131), which RUF001 flags as a look-alike.
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from playwright.sync_api import Browser, Page

from eslamed.core.store import Store
from tests.conftest import migrated_store
from tests.support.admin import SECRET
from tests.support.browser import MOBILE_UA, PHONE
from tests.support.leads import lead_env
from tests.support.paths import ARTIFACTS
from tests.support.peers import Peer, telegram_peer
from tests.support.polling import wait_for
from tests.support.server import ServerProcess, base_env
from tests.support.site import build_into

pytestmark = pytest.mark.browser

ADMIN = {"X-Admin-Secret": SECRET, "User-Agent": MOBILE_UA}


@dataclass
class Site:
    server: ServerProcess
    store: Store
    pages: list[str]
    telegram: Peer


@pytest.fixture(scope="module")
def site(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("owner-site")
    built = build_into(workdir)
    store = migrated_store(clickhouse)
    telegram = telegram_peer().start()
    env = base_env(clickhouse.url, store.database, workdir)
    env.update(lead_env(telegram), SITE_DIST=str(built.out), ADMIN_SECRET=SECRET)
    server = ServerProcess(env, workdir, workers=1)
    server.start()
    yield Site(server, store, built.pages, telegram)
    server.stop()
    telegram.stop()
    store.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(user_agent=MOBILE_UA, viewport=PHONE, locale="tr-TR")
    context.route("https://wa.me/**", lambda route: route.fulfill(body="<!doctype html>"))
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


WIDEST = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > document.documentElement.clientWidth + 0.5 && r.width > 0)
      out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
  }
  return out.slice(0, 5);
}"""


def test_no_page_is_wider_than_a_390px_phone(site: Site, page: Page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    urls = [*site.pages, "/bu-sayfa-yok"]  # the 404 page too
    assert {"/", "/fiyat", "/kvkk", "/acil", "/iletisim"} <= set(urls)
    too_wide = {}
    for url in urls:
        for banner in (True, False):
            page.context.clear_cookies()
            if not banner:
                page.context.add_cookies([{"name": "esl_consent", "value": "0", "url": site.server.url}])
            page.goto(site.server.url + url, wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if url in ("/fiyat", "/kvkk") and banner:
                page.screenshot(path=str(ARTIFACTS / f"site{url.replace('/', '-')}-390x844.png"))
            if width > PHONE["width"]:
                too_wide[f"{url} banner={banner}"] = (width, page.evaluate(WIDEST))
    assert too_wide == {}, "pages wider than the phone"


def test_consent_checkbox_label_reads_as_one_sentence(site: Site, page: Page) -> None:
    page.goto(site.server.url + "/", wait_until="load")
    label = page.locator("#hemen-ara label.check")
    link = label.locator("a")
    box = label.locator("input")
    text_box = label.locator("span")
    # the text is one flow, its link inline: the closing ")." never lands in a column of its own
    assert text_box.count() == 1 and link.count() == 1
    line_left = text_box.bounding_box()["x"]
    assert box.bounding_box()["x"] < line_left
    assert text_box.inner_text().endswith("(isteğe bağlı; KVKK).")


def posted_leads(page: Page) -> list[dict]:
    bodies: list[dict] = []
    page.on(
        "request",
        lambda r: bodies.append(json.loads(r.post_data or "{}")) if r.url.endswith("/api/lead") else None,
    )
    return bodies


def lead_row(store: Store, lead_id: str) -> dict:
    rows = store.query_dicts(
        f"SELECT status, spam_reason, name FROM {store.database}.leads FINAL WHERE lead_id = %(id)s",
        {"id": lead_id},
    )
    return rows[0] if rows else {}


def fill_and_send(page: Page, name: str, phone: str, seconds: float) -> None:
    """Focus the form, then spend `seconds` on it before tapping the button, as a person would."""
    page.get_by_label("Adınız").focus()
    page.wait_for_timeout(seconds * 1000)
    page.get_by_label("Adınız").fill(name)
    page.get_by_label("Telefon numaranız").fill(phone)
    page.get_by_role("button", name="Hemen Ara", exact=True).click()
    page.locator("[data-lead-status]").filter(has_text="Teşekkürler").wait_for()


def telegram_texts(site: Site) -> list[str]:
    return [r.json()["text"] for r in site.telegram.delivered()]


def test_fast_real_lead_is_new_and_notified_honeypot_is_spam_and_silent(site: Site, page: Page) -> None:
    sent = posted_leads(page)
    page.goto(site.server.url + "/acil", wait_until="load")
    page.wait_for_timeout(4000)  # the visitor reads the page before touching the form
    fill_and_send(page, "Hızlı Ayşe", "0532 111 22 33", 3)
    assert len(sent) == 1
    # the timer starts at the first touch of the form, not at page load (7 s ago)
    assert 3000 <= sent[0]["fill_ms"] < 4000, sent[0]["fill_ms"]
    fast = sent[0]["lead_id"]
    assert wait_for(lambda: lead_row(site.store, fast), what="the fast lead") == {
        "status": "NEW",
        "spam_reason": "",
        "name": "Hızlı Ayşe",
    }
    assert wait_for(lambda: [t for t in telegram_texts(site) if "Hızlı Ayşe" in t], what="Telegram")

    page.goto(site.server.url + "/fiyat", wait_until="load")
    fill_and_send(page, "Çok Hızlı Can", "0533 222 33 44", 0)
    quick = sent[1]["lead_id"]
    row = wait_for(lambda: lead_row(site.store, quick), what="the very quick lead")
    assert (row["status"], row["spam_reason"]) == ("NEW", "too_fast"), "a quick person is never hidden"
    text = wait_for(lambda: [t for t in telegram_texts(site) if "Çok Hızlı Can" in t], what="Telegram")[0]
    assert "⚠️ Şüpheli: form çok hızlı dolduruldu" in text and "Telefon: 0533 222 33 44" in text

    page.goto(site.server.url + "/", wait_until="load")
    page.evaluate("document.querySelector('input[name=website]').value = 'http://seo.example'")
    fill_and_send(page, "Bot Bey", "0534 333 44 55", 2)
    bot = sent[2]["lead_id"]
    assert wait_for(lambda: lead_row(site.store, bot), what="the honeypot lead")["status"] == "SPAM"
    time.sleep(2.0)  # a notification would have arrived by now (the other two took well under that)
    assert not [t for t in telegram_texts(site) if "Bot Bey" in t], "a honeypot lead is never notified"

    everything = requests.get(f"{site.server.url}/api/admin/leads", headers=ADMIN, timeout=10).json()
    listed = {row["id"]: row["status"] for row in everything["leads"]}
    assert fast in listed and quick in listed
    assert bot not in listed and "SPAM" not in listed.values(), "Tümü lists no SPAM"
    spam = requests.get(f"{site.server.url}/api/admin/leads?status=SPAM", headers=ADMIN, timeout=10).json()
    assert [row["id"] for row in spam["leads"]] == [bot], "SPAM has its own filter"
