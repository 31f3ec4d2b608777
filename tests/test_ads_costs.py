"""Issue 25, the money view: ad spend imported from a local Google Ads API v26 (the real google-ads
client over TLS and OAuth, no developer token), leads mapped to campaigns by click_view, and the
stats' cost, cost per lead and ROAS.

Expected figures are written out by hand from the spend the test gives the peer, never computed by
the code under test."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from eslamed.conversions.costs import AdsReader, AdsRefused
from eslamed.conversions.settings import ads_config
from eslamed.core.clock import ISTANBUL
from eslamed.devtools.google_ads_peer import AdsAccount, AdsPeer
from tests.support.admin import AUTH, SECRET
from tests.support.browser import MOBILE_UA, PHONE, chromium
from tests.support.conversions import settings_for
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.paths import ARTIFACTS
from tests.support.polling import wait_for
from tests.support.server import base_env, run_cli

TODAY = dt.datetime.now(dt.UTC).astimezone(ISTANBUL).date()
WEEK = [TODAY - dt.timedelta(days=i) for i in range(7)]
# Three campaigns, seven days: 100.00, 50.50 and 25.25 TL a day.
DAILY_MICROS = {111: 100_000_000, 222: 50_500_000, 333: 25_250_000}
NAMES = {111: "PMax Kiralama", 222: "PMax Satış", 333: "Marka"}


@pytest.fixture
def account() -> AdsAccount:
    return AdsAccount(
        campaigns=dict(NAMES),
        costs={(cid, day): (micros, 10, 1000) for cid, micros in DAILY_MICROS.items() for day in WEEK},
        # Spend before the imported week must not be read by a 7-day import.
        clicks={"Cj0KgclidA": (111, TODAY), "Cj0KgclidB": (111, TODAY), "Cj0KgclidC": (222, TODAY)},
    )


@pytest.fixture
def ads_peer(account, tmp_path) -> Iterator[AdsPeer]:
    account.costs[(111, TODAY - dt.timedelta(days=8))] = (999_000_000, 1, 1)
    peer = AdsPeer(account, tmp_path)
    yield peer
    peer.stop()


def cli(clickhouse, store, tmp_path, peer: AdsPeer, *args: str):
    env = {**base_env(clickhouse.url, store.database, tmp_path), **peer.env()}
    assert "GOOGLE_ADS_DEVELOPER_TOKEN" not in env
    return run_cli(env, *args)


def stats(server) -> dict:
    reply = requests.get(
        f"{server.url}/api/admin/stats",
        params={"from": (TODAY - dt.timedelta(days=6)).isoformat(), "to": TODAY.isoformat()},
        headers=AUTH,
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def by_campaign(body: dict) -> dict[str, dict]:
    return {row["campaign_id"]: row for row in body["by"]["campaign"] if row["campaign_id"]}


def test_costs_imported_twice_count_once_and_campaigns_earn_their_leads(
    clickhouse, store, tmp_path, ads_peer, make_server
) -> None:
    server = make_server(clickhouse, store, workers=1, **lead_env())
    # Leads through the real /api/lead: two clicks of campaign 111, one of 222, one without a click, and
    # one whose landing URL carries the campaign id (final URL suffix utm_id={campaignid}) but no click.
    lead_ids = []
    page = "https://eslamed.example/oksijen-konsantratoru"
    for gclid, url in (
        ("Cj0KgclidA", f"{page}?gclid=Cj0KgclidA"),
        ("Cj0KgclidB", f"{page}?gclid=Cj0KgclidB"),
        ("Cj0KgclidC", f"{page}?gclid=Cj0KgclidC"),
        ("", page),
        ("", f"{page}?utm_source=google&utm_id=333"),
    ):
        body = form_lead(url=url, gclid=gclid, phone=f"0532 555 00 {len(lead_ids):02d}")
        assert post_lead(server.url, body).status_code == 201
        lead_ids.append(body["lead_id"])

    for _ in range(2):
        done = cli(clickhouse, store, tmp_path, ads_peer, "ads", "costs", "--days", "7")
        assert done.returncode == 0, done.stdout + done.stderr
    assert "21 campaign-day(s)" in done.stdout

    queries = [request.query for method, request, _ in ads_peer.calls if method == "SearchStream"]
    first, last = TODAY - dt.timedelta(days=6), TODAY
    assert f"FROM campaign WHERE segments.date BETWEEN '{first}' AND '{last}'" in queries[1]
    click_days = [q.rsplit("'", 2)[1] for q in queries if "FROM click_view" in q]
    assert click_days == [str(TODAY)], "one click_view query for the one day with leads; mapped clicks stay"
    assert all("developer-token" not in metadata for _, _, metadata in ads_peer.calls)

    # A sale of 6,500 TL on the first lead of campaign 111.
    sale = {"revenue": "6500", "deal_type": "satis", "closed_at": TODAY.isoformat()}
    reply = requests.post(
        f"{server.url}/api/admin/leads/{lead_ids[0]}/convert", json=sale, headers=AUTH, timeout=10
    )
    assert reply.status_code in (200, 201), reply.text

    body = stats(server)
    # 7 x (100.00 + 50.50 + 25.25) = 1,230.25 TL, not twice that, not the spend of day 8.
    assert body["totals"]["cost"] == 1230.25
    assert body["totals"]["cost_per_lead"] == 246.05  # 1,230.25 / 5 leads
    assert body["totals"]["cost_per_sale"] == 1230.25
    assert body["totals"]["roas"] == 5.28  # 6,500 / 1,230.25
    assert body["currency"] == "TRY"
    assert body["daily"][-1]["cost"] == 175.75 and len(body["daily"]) == 7
    campaigns = by_campaign(body)
    pmax = campaigns["111"]
    assert (pmax["value"], pmax["cost"], pmax["leads"], pmax["sales"], pmax["revenue"]) == (
        "PMax Kiralama",
        700.0,
        2,
        1,
        6500.0,
    )
    assert (pmax["cost_per_lead"], pmax["cost_per_sale"], pmax["roas"]) == (350.0, 700.0, 9.29)
    sales = campaigns["222"]
    assert (sales["cost"], sales["leads"], sales["cost_per_lead"], sales["roas"]) == (353.5, 1, 353.5, 0.0)
    brand = campaigns["333"]
    assert (brand["cost"], brand["leads"], brand["cost_per_lead"], brand["roas"]) == (176.75, 1, 176.75, 0.0)
    assert [r["leads"] for r in body["by"]["campaign"] if not r["campaign_id"]] == [1], "the lead without one"
    assert body["ad_import"]["ok"] is True


def test_a_reimport_replaces_corrected_spend_and_a_renamed_campaign(
    clickhouse, store, tmp_path, account, ads_peer, make_server
) -> None:
    assert cli(clickhouse, store, tmp_path, ads_peer, "ads", "costs").returncode == 0
    # Google credits invalid clicks back: yesterday's 333 spend is gone, today's 111 is 80.00.
    del account.costs[(333, WEEK[1])]
    account.costs[(111, TODAY)] = (80_000_000, 8, 800)
    account.campaigns[222] = "PMax Satış (yeni)"
    assert cli(clickhouse, store, tmp_path, ads_peer, "ads", "costs").returncode == 0

    body = stats(make_server(clickhouse, store, workers=1))
    assert body["totals"]["cost"] == 1185.0  # 1,230.25 - 25.25 - 20.00
    campaigns = by_campaign(body)
    assert campaigns["333"]["cost"] == 151.5 and campaigns["111"]["cost"] == 680.0
    assert campaigns["222"]["value"] == "PMax Satış (yeni)"


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        ("CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION", "not approved for production"),
        ("RESOURCE_EXHAUSTED", "rate limit"),
        ("revoked", "UNAUTHENTICATED"),
    ],
)
def test_each_refusal_has_its_reason_in_the_command_ads_check_and_the_stats(
    clickhouse, store, tmp_path, account, ads_peer, make_server, refusal, expected
) -> None:
    if refusal == "revoked":
        ads_peer.tokens.revoked = True
    else:
        account.refuse = refusal
    failed = cli(clickhouse, store, tmp_path, ads_peer, "ads", "costs")
    assert failed.returncode == 1
    assert expected in failed.stderr, failed.stderr
    check = cli(clickhouse, store, tmp_path, ads_peer, "ads", "check")
    assert check.returncode == 1 and expected in check.stdout, check.stdout
    if refusal == "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION":
        assert "Explorer" in check.stdout and "Basic" in check.stdout, "access levels are explained"
    shown = stats(make_server(clickhouse, store, workers=1))["ad_import"]
    assert shown["ok"] is False and expected in shown["reason"]
    assert shown["code"] == ("UNAUTHENTICATED" if refusal == "revoked" else refusal)


def test_the_peer_reads_gaql_as_google_does(clickhouse, store, tmp_path, ads_peer) -> None:
    config = ads_config(settings_for(clickhouse.url, store, tmp_path, **ads_peer.env()))
    reader = AdsReader(config)
    rows = reader.rows(
        f"SELECT campaign.id, metrics.cost_micros FROM campaign WHERE segments.date = '{TODAY}'"
    )
    assert sorted((r.campaign.id, r.metrics.cost_micros, r.campaign.name) for r in rows) == [
        (111, 100_000_000, ""),
        (222, 50_500_000, ""),
        (333, 25_250_000, ""),
    ], "only the fields asked for"
    with pytest.raises(AdsRefused) as unknown:
        reader.rows("SELECT campaign.id, metrics.cost_microz FROM campaign")
    assert unknown.value.code == "UNRECOGNIZED_FIELD"
    with pytest.raises(AdsRefused) as wide:
        reader.rows(
            f"SELECT click_view.gclid FROM click_view WHERE segments.date BETWEEN '{WEEK[1]}' AND '{TODAY}'"
        )
    assert wide.value.code == "EXPECTED_FILTERS_ON_DATE_RANGE"
    other = ads_config(
        settings_for(clickhouse.url, store, tmp_path, **{**ads_peer.env(), "GOOGLE_ADS_CUSTOMER_ID": "999"})
    )
    with pytest.raises(AdsRefused) as denied:
        AdsReader(other).rows("SELECT customer.id FROM customer")
    assert denied.value.code == "USER_PERMISSION_DENIED"


def test_the_server_reimports_the_week_in_one_worker_under_the_upload_leader(
    clickhouse, store, ads_peer, make_server
) -> None:
    server = make_server(clickhouse, store, workers=2, GOOGLE_ADS_COSTS_INTERVAL_S="1", **ads_peer.env())
    wait_for(lambda: stats(server)["totals"]["cost"] == 1230.25, what="the week imported by the server")
    time.sleep(3)
    rounds = [r for m, r, _ in ads_peer.calls if m == "SearchStream" and "FROM campaign" in r.query]
    imports = store.query(f"SELECT count(), uniqExact(at) FROM {store.database}.ad_imports WHERE ok = 1")[0]
    assert imports[0] == len(rounds) >= 3, "every round imported, every import recorded"
    assert imports[0] <= imports[1] + 1, "one worker imports at a time (about one import a second)"
    assert stats(server)["totals"]["cost"] == 1230.25, "re-imported every second, never added up"


@pytest.mark.browser
@pytest.mark.parametrize("refusal", ["CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION", "revoked"])
def test_the_pwa_shows_why_google_refused_the_spend(
    clickhouse, store, tmp_path, account, ads_peer, make_server, refusal
) -> None:
    if refusal == "revoked":
        ads_peer.tokens.revoked = True
    else:
        account.refuse = refusal
    assert cli(clickhouse, store, tmp_path, ads_peer, "ads", "costs").returncode == 1
    server = make_server(clickhouse, store, workers=1)
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, user_agent=MOBILE_UA, locale="tr-TR").new_page()
        page.goto(f"{server.url}/admin/")
        page.fill("#secret", SECRET)
        page.click("#login-form button[type=submit]")
        expect(page.get_by_text("Talep yok")).to_be_visible()  # logged in: the (empty) lead list
        page.goto(f"{server.url}/admin/#/stats")
        shown = page.locator("#ad-import")
        expect(shown).to_contain_text("Reklam harcaması alınamadı")
        if refusal == "revoked":
            expect(shown).to_contain_text("Google oturum bilgileri geçersiz")
            expect(shown).to_contain_text("(UNAUTHENTICATED)")
        else:
            expect(shown).to_contain_text("üretim erişimine onaylı değil")
            expect(shown).to_contain_text("(CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"pwa-stats-spend-refused-{refusal.lower()}-390x844.png"))
