"""Re-queue (bug 5), the click's own time (bug 7), exit codes of the cron command (bug 9), lead-stage
conversions and corrections: real server or real Flask app, real ClickHouse, local TLS gRPC peers
reached by the real Google client libraries."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from eslamed.conversions.sale import ISTANBUL
from eslamed.conversions.settings import ads_config
from eslamed.conversions.uploader import Uploader, make_backend
from eslamed.core import schema
from tests.support.admin import AUTH, admin_app
from tests.support.clients import dumps, new_event, post_raw
from tests.support.conversions import ads_env, latest, settings_for, utcnow
from tests.support.google_fixtures import sent_ids
from tests.support.google_peers import GoogleAdsAdjustmentPeer
from tests.support.leads import SITE, form_lead, post_lead
from tests.support.polling import wait_for
from tests.test_conversions_upload import _cli

UPLOAD_METHOD = {"datamanager": "IngestEvents", "googleads": "UploadClickConversions"}
LEAD_HEADERS = {"Origin": SITE, "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile"}


def uploads(peer_) -> list:
    return [c for c in peer_.calls if c.method in UPLOAD_METHOD.values()]


def make_lead(client, **fields) -> str:
    body = form_lead(**fields)
    reply = client.post("/api/lead", json=body, headers=LEAD_HEADERS)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return body["lead_id"]


def convert(client, lead_id: str, revenue: int = 15000) -> str:
    reply = client.post(
        f"/api/admin/leads/{lead_id}/convert", json={"revenue": revenue, "deal_type": "satis"}, headers=AUTH
    )
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return reply.get_json()["conversion_id"]


def convert_on(server_url: str, lead_id: str) -> uuid.UUID:
    """'Satış Onayla' on a running server, as the PWA sends it."""
    reply = requests.post(
        f"{server_url}/api/admin/leads/{lead_id}/convert",
        json={"revenue": 15000, "deal_type": "satis"},
        headers=AUTH,
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return uuid.UUID(reply.json()["conversion_id"])


@pytest.fixture
def ads(backend_name, peer, tls, token_server):
    return ads_env(backend_name, peer.endpoint, str(tls[0]), token_server.url)


@pytest.fixture
def app(clickhouse, store, tmp_path, ads):
    return admin_app(clickhouse, store, tmp_path, LEAD_RATE_LIMIT="1000/minute", **ads)


def uploader_for(clickhouse, store, tmp_path, ads, clock=utcnow, **extra) -> Uploader:
    settings = settings_for(clickhouse.url, store, tmp_path, **ads, **extra)
    return Uploader(store, make_backend(ads_config(settings)), clock=clock)


# ---- bug 5: a FAILED or RETRY sale can be sent again ------------------------------------------


def test_refused_logins_never_fail_a_sale_and_retry_now_sends_it(
    clickhouse, store, tmp_path, ads, peer, token_server, app
):
    """66 hours of a revoked refresh token used to end the sale for good: a request problem says
    nothing about the sale, so its attempts never run out, and `retry --now` sends it at once."""
    client = app.test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-twelve-retries"))
    start = utcnow()
    token_server.revoked = True
    try:
        for attempt in range(13):
            moment = start + timedelta(hours=7 * attempt)
            uploader_for(clickhouse, store, tmp_path, ads, clock=lambda m=moment: m).run_once()
    finally:
        token_server.revoked = False
    kept = latest(store)[uuid.UUID(cid)]
    assert (kept["state"], kept["attempts"]) == ("RETRY", 13)
    assert "gave up" not in kept["reason"] and "[UNAUTHENTICATED]" in kept["reason"]
    assert uploads(peer) == [], "the token endpoint refused every login: Google saw nothing"

    result = _cli({**_base(clickhouse, store, tmp_path), **ads}, "conversions", "retry", "--now")

    assert result.returncode == 0, result.stderr
    assert f"{cid}  RETRY    -> PENDING" in result.stdout
    assert "queued again: 1 (RETRY)" in result.stdout
    assert f"{cid}  UPLOADED" in result.stdout
    assert "done: UPLOADED 1" in result.stdout
    assert sent_ids(peer) == [cid]
    assert latest(store)[uuid.UUID(cid)]["attempts"] == 1, "counted from zero again"


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_a_sale_of_its_own_failing_gives_up_after_twelve_attempts_and_retry_failed_sends_it(
    clickhouse, store, tmp_path, ads, peer, app
):
    """Attempts run out only for answers about the sale itself (here "too recent", again and again)."""
    client = app.test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-row-internal"))
    peer.gclid_errors["Cj0KCQiA-row-internal"] = "TOO_RECENT_CONVERSION_ACTION"
    start = utcnow()
    for attempt in range(12):
        moment = start + timedelta(hours=7 * attempt)
        uploader_for(clickhouse, store, tmp_path, ads, clock=lambda m=moment: m).run_once()
    failed = latest(store)[uuid.UUID(cid)]
    assert (failed["state"], failed["attempts"]) == ("FAILED", 12)
    assert "gave up after 12 attempts" in failed["reason"]
    del peer.gclid_errors["Cj0KCQiA-row-internal"]

    result = _cli({**_base(clickhouse, store, tmp_path), **ads}, "conversions", "retry", "--failed", "--now")

    assert result.returncode == 0, result.stderr
    assert f"{cid}  FAILED   -> PENDING" in result.stdout
    assert "queued again: 1 (RETRY and FAILED)" in result.stdout
    assert "done: UPLOADED 1" in result.stdout
    assert cid in sent_ids(peer)


def _base(clickhouse, store, tmp_path) -> dict[str, str]:
    from tests.support.server import base_env

    return base_env(clickhouse.url, store.database, tmp_path)


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_retry_without_failed_leaves_failed_sales_and_without_now_sends_nothing(
    clickhouse, store, tmp_path, ads, peer, app
):
    client = app.test_client()
    peer.bad_gclids.add("Cj0KCQiA-rejected-click")
    failed = convert(client, make_lead(client, gclid="Cj0KCQiA-rejected-click"))
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    assert latest(store)[uuid.UUID(failed)]["state"] == "FAILED"

    result = _cli({**_base(clickhouse, store, tmp_path), **ads}, "conversions", "retry")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["queued again: 0 (RETRY)"]
    assert latest(store)[uuid.UUID(failed)]["state"] == "FAILED"
    assert len(uploads(peer)) == 1


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_admin_retry_button_queues_one_failed_sale_again(clickhouse, store, tmp_path, ads, peer, app):
    client = app.test_client()
    peer.bad_gclids.add("Cj0KCQiA-fixed-later")
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-fixed-later"))
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    assert latest(store)[uuid.UUID(cid)]["state"] == "FAILED"

    reply = client.post(f"/api/admin/conversions/{cid}/retry", headers=AUTH)

    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = reply.get_json()["conversion"]
    assert (body["state"], body["attempts"]) == ("PENDING", 0)
    assert body["reason"].startswith("Yeniden gönderim için sıraya alındı / Queued again for upload (FAILED:")
    peer.bad_gclids.clear()
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    assert latest(store)[uuid.UUID(cid)]["state"] == "UPLOADED"
    assert [len(c.request.conversions) for c in uploads(peer)] == [1, 1]
    assert sent_ids(peer) == [cid]

    again = client.post(f"/api/admin/conversions/{cid}/retry", headers=AUTH)
    assert again.status_code == 409
    assert "this one is UPLOADED" in again.get_json()["message_en"]
    assert client.post("/api/admin/conversions/not-a-uuid/retry", headers=AUTH).status_code == 400
    assert client.post(f"/api/admin/conversions/{uuid.uuid4()}/retry", headers=AUTH).status_code == 404
    assert client.post(f"/api/admin/conversions/{cid}/retry").status_code == 401


def test_changed_google_settings_send_retry_sales_at_once(
    clickhouse, store, tmp_path, ads, peer, token_server, app
):
    """The owner fixes the refresh token: the sale goes at the next run, not six hours later."""
    client = app.test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-settings-fixed"))
    base = {**_base(clickhouse, store, tmp_path), **ads}
    token_server.revoked = True
    try:
        first = _cli(base, "conversions", "upload")
    finally:
        token_server.revoked = False
    assert first.returncode == 0, first.stderr
    waiting = latest(store)[uuid.UUID(cid)]
    assert waiting["state"] == "RETRY"
    assert waiting["next_attempt_at"] > utcnow() + timedelta(hours=5)

    same = _cli(base, "conversions", "upload")
    assert "nothing due" in same.stdout, "unchanged settings: the backoff holds"
    assert uploads(peer) == []

    fixed = _cli({**base, "GOOGLE_ADS_REFRESH_TOKEN": "1//new-refresh-token"}, "conversions", "upload")

    assert fixed.returncode == 0, fixed.stderr
    assert "Google settings changed: 1 RETRY sale(s) go now" in fixed.stdout
    assert f"{cid}  UPLOADED" in fixed.stdout
    assert sent_ids(peer) == [cid]
    assert token_server.grants[-1]["refresh_token"] == "1//new-refresh-token"


# ---- bug 9: the cron command ------------------------------------------------------------------


def test_retry_without_google_settings_fails_the_cron_job(clickhouse, store, tmp_path):
    result = _cli(_base(clickhouse, store, tmp_path), "conversions", "retry", "--failed")
    assert result.returncode == 3
    assert "Google Ads not configured; set GOOGLE_ADS_CUSTOMER_ID" in result.stderr


# ---- bug 7: the click's own time --------------------------------------------------------------


@pytest.mark.parametrize("backend_name", ["googleads"])
@pytest.mark.parametrize("carried", [False, True], ids=["recovered_from_history", "carried_by_the_lead"])
def test_click_window_counts_from_the_click_not_the_lead(
    clickhouse, store, tmp_path, make_server, ads, peer, carried
):
    """The visitor clicked the ad 70 hours ago and sends the form today; the action counts one day."""
    server = make_server(clickhouse, store, workers=1, LEAD_RATE_LIMIT="1000/minute")
    visitor, gclid = str(uuid.uuid4()), "Cj0KCQiA-clicked-three-days-ago"
    clicked = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=70)
    landing = new_event(visitor_id=visitor, session_id="s-1", gclid=gclid, ts=int(clicked.timestamp() * 1000))
    later = new_event(visitor_id=visitor, session_id="s-2", gclid=gclid)
    assert post_raw(server.url, "/api/track", dumps({"events": [landing, later]}))[0] == 202
    assert wait_for(lambda: store.query(f"SELECT count() FROM {store.database}.events")[0][0] == 2)
    body = form_lead(visitor_id=visitor, gclid=gclid if carried else "", url=f"{SITE}/")
    assert post_lead(server.url, body).status_code == 201
    cid = convert_on(server.url, body["lead_id"])

    uploader_for(clickhouse, store, tmp_path, ads, GOOGLE_ADS_CLICK_WINDOW_DAYS="987654321=1").run_once()

    row = latest(store)[cid]
    assert row["state"] == "FAILED"
    assert row["reason"] == (
        "Tıklamanın üzerinden 1 günden fazla geçmiş (dönüşüm işleminin tıklama penceresi) / "
        "The click is older than the conversion action's 1-day click window"
    )
    assert uploads(peer) == []
    [(origin, clicked_at)] = store.query(
        f"SELECT click_id_origin, clicked_at FROM {store.database}.leads WHERE lead_id = %(id)s"
        " ORDER BY version DESC LIMIT 1",
        {"id": uuid.UUID(body["lead_id"])},
    )
    assert (origin, clicked_at) == ("direct" if carried else "visitor_history", clicked.replace(tzinfo=None))
    # The same sale on an action with Google's default 90 days goes through.
    client = requests.post(f"{server.url}/api/admin/conversions/{cid}/retry", headers=AUTH, timeout=10)
    assert client.status_code == 200, client.text
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    assert latest(store)[cid]["state"] == "UPLOADED"
    assert sent_ids(peer) == [str(cid)]


# ---- lead stages ------------------------------------------------------------------------------

STAGES = {"GOOGLE_ADS_STAGE_ACTIONS": "CONTACTED=111111:250,CONVERTED=222222"}


def test_contacted_then_converted_uploads_one_qualified_lead_and_one_sale_across_restarts(
    clickhouse, store, tmp_path, make_server, ads, peer, backend_name
):
    env = {**ads, **STAGES, "GOOGLE_ADS_UPLOAD_INTERVAL_S": "0.3", "LEAD_RATE_LIMIT": "1000/minute"}
    server = make_server(clickhouse, store, workers=2, **env)
    gclid = "Cj0KCQiA-qualified-then-sold"
    body = form_lead(gclid=gclid)
    assert post_lead(server.url, body).status_code == 201
    lead_id = body["lead_id"]
    admin = f"{server.url}/api/admin/leads/{lead_id}"
    for status in ("CONTACTED", "LOST", "CONTACTED"):
        reply = requests.post(f"{admin}/status", json={"status": status}, headers=AUTH, timeout=10)
        assert reply.status_code == 200, reply.text
    sale_id = str(convert_on(server.url, lead_id))
    stage_id = str(
        uuid.uuid5(uuid.UUID("6f1d3a52-5c1e-4a8e-9a57-2f0f5b6a9c41"), f"{lead_id}:stage:CONTACTED")
    )

    def both_uploaded() -> bool:
        rows = latest(store)
        return {str(k): v["state"] for k, v in rows.items()} == {stage_id: "UPLOADED", sale_id: "UPLOADED"}

    assert wait_for(both_uploaded, timeout_s=30, what="both conversions UPLOADED by the server")
    cli_env = {**_base(clickhouse, store, tmp_path), **env}
    for _ in range(3):
        assert _cli(cli_env, "conversions", "upload").returncode == 0
    server.stop()
    server = make_server(clickhouse, store, workers=2, **env)
    admin = f"{server.url}/api/admin/leads/{lead_id}"
    again = requests.post(f"{admin}/status", json={"status": "CONTACTED"}, headers=AUTH, timeout=10)
    assert again.status_code == 409, "a converted lead keeps its status"
    assert _cli(cli_env, "conversions", "upload").returncode == 0
    time.sleep(1.5)  # several background runs of the restarted server

    listed = requests.get(f"{server.url}/api/admin/conversions", headers=AUTH, timeout=10).json()
    stages = {
        c["conversion_id"]: (c["stage"], c["state"], c["conversion_action_id"]) for c in listed["conversions"]
    }
    assert stages == {
        stage_id: ("CONTACTED", "UPLOADED", "111111"),
        sale_id: ("CONVERTED", "UPLOADED", "222222"),
    }
    assert sorted(sent_ids(peer)) == sorted([stage_id, sale_id])
    if backend_name == "googleads":
        sent = {c.order_id: c for call in uploads(peer) for c in call.request.conversions}
        assert len([c for call in uploads(peer) for c in call.request.conversions]) == 2
        assert sent[stage_id].conversion_action == "customers/1234567890/conversionActions/111111"
        assert sent[stage_id].conversion_value == 250.0
        assert sent[sale_id].conversion_action == "customers/1234567890/conversionActions/222222"
        assert sent[sale_id].conversion_value == 15000.0
        assert {c.gclid for c in sent.values()} == {gclid}
    else:
        events = [
            (r.destinations[0].product_destination_id, e) for r in peer.accepted.values() for e in r.events
        ]
        assert len(events) == 2
        by_id = {e.transaction_id: (dest, e.conversion_value) for dest, e in events}
        assert by_id == {stage_id: ("111111", 250.0), sale_id: ("222222", 15000.0)}
    # the stats count the sale, not the qualified-lead stage
    day = datetime.now(ISTANBUL).date().isoformat()
    stats = requests.get(f"{server.url}/api/admin/stats?from={day}&to={day}", headers=AUTH, timeout=10)
    assert stats.status_code == 200, stats.text
    totals = stats.json()["totals"]
    assert (totals["sales"], totals["revenue"]) == (1, 15000.0)


def test_bad_stage_setting_is_named_and_nothing_is_sent(clickhouse, store, tmp_path, ads, peer):
    settings = settings_for(clickhouse.url, store, tmp_path, **ads, GOOGLE_ADS_STAGE_ACTIONS="CALLED=abc")
    config = ads_config(settings)
    assert not config.configured
    assert any("GOOGLE_ADS_STAGE_ACTIONS: 'CALLED=abc' must be" in m for m in config.missing())
    result = _cli(
        {**_base(clickhouse, store, tmp_path), **ads, "GOOGLE_ADS_STAGE_ACTIONS": "CALLED=abc"},
        "conversions",
        "upload",
    )
    assert result.returncode == 3
    assert "GOOGLE_ADS_STAGE_ACTIONS" in result.stderr


# ---- corrections ------------------------------------------------------------------------------


@pytest.fixture
def adjusting_peer(tls):
    peer_ = GoogleAdsAdjustmentPeer(tls[1], tls[2])
    yield peer_
    peer_.stop()


def test_restatement_and_retraction_reach_google_ads_by_order_id(
    clickhouse, store, tmp_path, tls, token_server, adjusting_peer
):
    ads = ads_env("googleads", adjusting_peer.endpoint, str(tls[0]), token_server.url)
    client = admin_app(clickhouse, store, tmp_path, LEAD_RATE_LIMIT="1000/minute", **ads).test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-corrected-sale"))
    run = lambda: uploader_for(clickhouse, store, tmp_path, ads).run_once()  # noqa: E731
    run()
    assert latest(store)[uuid.UUID(cid)]["state"] == "UPLOADED"

    restated = client.post(
        f"/api/admin/conversions/{cid}/correct", json={"action": "restate", "revenue": "12000"}, headers=AUTH
    )
    assert restated.status_code == 201, restated.get_data(as_text=True)
    restatement = restated.get_json()["correction"]
    assert (restatement["adjustment"], restatement["adjusts"], restatement["state"]) == (
        "RESTATEMENT",
        cid,
        "PENDING",
    )
    run()
    retracted = client.post(f"/api/admin/conversions/{cid}/correct", json={"action": "retract"}, headers=AUTH)
    assert retracted.status_code == 201
    retraction = retracted.get_json()["correction"]
    run()
    run()

    rows = latest(store)
    assert rows[uuid.UUID(restatement["conversion_id"])]["state"] == "UPLOADED"
    assert rows[uuid.UUID(retraction["conversion_id"])]["state"] == "UPLOADED"
    assert rows[uuid.UUID(cid)]["state"] == "UPLOADED", (
        "the sale keeps its own state; the corrections carry theirs"
    )
    calls = [c for c in adjusting_peer.calls if c.method == "UploadConversionAdjustments"]
    assert len(calls) == 2
    first, second = (c.request.conversion_adjustments[0] for c in calls)
    assert (first.adjustment_type.name, first.order_id, first.restatement_value.adjusted_value) == (
        "RESTATEMENT",
        cid,
        12000.0,
    )
    assert first.restatement_value.currency_code == "TRY"
    assert first.conversion_action == "customers/1234567890/conversionActions/987654321"
    assert (second.adjustment_type.name, second.order_id) == ("RETRACTION", cid)
    assert calls[0].request.partial_failure is True
    assert calls[0].metadata["developer-token"] == "dev-token-allowlisted"
    assert adjusting_peer.sent_order_ids() == [cid], "the sale itself was sent once"

    again = client.post(f"/api/admin/conversions/{cid}/correct", json={"action": "retract"}, headers=AUTH)
    assert again.status_code == 409
    bad = client.post(f"/api/admin/conversions/{cid}/correct", json={"action": "delete"}, headers=AUTH)
    assert bad.status_code == 400
    assert "action must be retract or restate" in bad.get_json()["message_en"]
    listed = client.get("/api/admin/conversions", headers=AUTH).get_json()
    assert listed["counts"]["UPLOADED"] == 3


def test_correction_google_does_not_know_fails_with_its_reason(
    clickhouse, store, tmp_path, tls, token_server, adjusting_peer
):
    """The peer lost the order (an upload from another tool, say): Google's CONVERSION_NOT_FOUND."""
    ads = ads_env("googleads", adjusting_peer.endpoint, str(tls[0]), token_server.url)
    client = admin_app(clickhouse, store, tmp_path, LEAD_RATE_LIMIT="1000/minute", **ads).test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-order-unknown"))
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    adjusting_peer.accepted_orders.clear()
    correction = client.post(
        f"/api/admin/conversions/{cid}/correct", json={"action": "retract"}, headers=AUTH
    )
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    row = latest(store)[uuid.UUID(correction.get_json()["correction"]["conversion_id"])]
    assert row["state"] == "FAILED"
    assert "CONVERSION_NOT_FOUND" in row["reason"] or "not found" in row["reason"]


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_data_manager_cannot_retract_and_says_so(clickhouse, store, tmp_path, ads, peer, app):
    client = app.test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-dm-corrected"))
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    correction = client.post(
        f"/api/admin/conversions/{cid}/correct", json={"action": "retract"}, headers=AUTH
    )
    assert correction.status_code == 201
    calls_before = len(peer.calls)

    uploader_for(clickhouse, store, tmp_path, ads).run_once()

    row = latest(store)[uuid.UUID(correction.get_json()["correction"]["conversion_id"])]
    assert (row["state"], row["attempts"]) == ("MANUAL", 0)
    assert row["reason"] == (
        "Data Manager API satış iptalini desteklemiyor; satışı Google Ads arayüzünde iptal edin / "
        "The Data Manager API cannot retract a sale: cancel it in the Google Ads UI"
    )
    assert peer.calls[calls_before:] == [], "nothing is sent to Data Manager for a retraction"
    assert client.get("/api/admin/conversions?state=MANUAL", headers=AUTH).get_json()["counts"]["MANUAL"] == 1


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_data_manager_restatement_resends_the_transaction_with_the_new_value(
    clickhouse, store, tmp_path, ads, peer, app
):
    """Data Manager's 2026 adjustments guide: same transactionId, same destination, the new value."""
    client = app.test_client()
    cid = convert(client, make_lead(client, gclid="Cj0KCQiA-dm-restated"))
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    [first] = [e for r in peer.requests("IngestEvents") for e in r.events]
    correction = client.post(
        f"/api/admin/conversions/{cid}/correct", json={"action": "restate", "revenue": "4200"}, headers=AUTH
    )
    assert correction.status_code == 201, correction.get_json()

    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    uploader_for(clickhouse, store, tmp_path, ads).run_once()  # reads Google's final status

    sent = [
        (r.destinations[0].product_destination_id, e) for r in peer.requests("IngestEvents") for e in r.events
    ]
    assert len(sent) == 2
    action, again = sent[1]
    assert (again.transaction_id, again.conversion_value, again.currency) == (cid, 4200.0, "TRY")
    assert action == "987654321" and again.event_timestamp == first.event_timestamp, "the sale's own time"
    assert peer.conversions == {cid: 4200.0}, "the value is replaced; no second conversion"
    row = latest(store)[uuid.UUID(correction.get_json()["correction"]["conversion_id"])]
    assert row["state"] == "UPLOADED", row["reason"]


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_cancelling_a_sale_not_yet_sent_never_sends_it(clickhouse, store, tmp_path, ads, peer, app):
    client = app.test_client()
    cancelled = convert(client, make_lead(client, gclid="Cj0KCQiA-cancelled-early"))
    restated = convert(client, make_lead(client, gclid="Cj0KCQiA-restated-early"))
    assert (
        client.post(
            f"/api/admin/conversions/{cancelled}/correct", json={"action": "retract"}, headers=AUTH
        ).status_code
        == 200
    )
    fixed = client.post(
        f"/api/admin/conversions/{restated}/correct", json={"action": "restate", "revenue": 900}, headers=AUTH
    )
    assert (fixed.status_code, fixed.get_json()["correction"]) == (200, None)

    uploader_for(clickhouse, store, tmp_path, ads).run_once()

    rows = latest(store)
    assert rows[uuid.UUID(cancelled)]["state"] == "SKIPPED"
    assert rows[uuid.UUID(restated)]["state"] == "UPLOADED"
    [call] = uploads(peer)
    assert [(c.order_id, c.conversion_value) for c in call.request.conversions] == [(restated, 900.0)]


def test_the_owners_stats_count_a_sale_as_its_last_correction_left_it(
    clickhouse, store, tmp_path, tls, token_server, adjusting_peer
):
    """Sent and then restated or cancelled (corrections to Google), or cancelled before it was sent."""
    ads = ads_env("googleads", adjusting_peer.endpoint, str(tls[0]), token_server.url)
    client = admin_app(clickhouse, store, tmp_path, LEAD_RATE_LIMIT="1000/minute", **ads).test_client()
    restated, cancelled, kept = (
        convert(client, make_lead(client, gclid=f"Cj0KCQiA-stats-{name}"), revenue=10000)
        for name in ("restated", "cancelled", "kept")
    )
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    early = convert(client, make_lead(client, gclid="Cj0KCQiA-stats-early"), revenue=10000)

    def correct(cid: str, **body: object) -> int:
        return client.post(f"/api/admin/conversions/{cid}/correct", json=body, headers=AUTH).status_code

    def totals() -> tuple[int, float]:
        shown = client.get("/api/admin/stats", headers=AUTH).get_json()["totals"]
        return shown["sales"], shown["revenue"]

    assert totals() == (4, 40000.0)
    assert correct(restated, action="restate", revenue="12000") == 201
    assert correct(cancelled, action="retract") == 201
    assert correct(early, action="retract") == 200
    assert correct(early, action="retract") == 409
    assert totals() == (2, 22000.0)
    uploader_for(clickhouse, store, tmp_path, ads).run_once()
    assert totals() == (2, 22000.0), "the corrections' upload changes nothing the owner sees"
    rows = latest(store)
    assert rows[uuid.UUID(kept)]["state"] == "UPLOADED"
    assert rows[uuid.UUID(early)]["state"] == "SKIPPED"
    assert sorted((a.adjustment_type.name, a.order_id) for a in adjusting_peer.adjustments) == sorted(
        [("RESTATEMENT", restated), ("RETRACTION", cancelled)]
    )
    assert sorted(adjusting_peer.sent_order_ids()) == sorted([restated, cancelled, kept]), (
        "the sale cancelled before it was sent is never sent"
    )


# ---- schema: `migrate` on a database made before these columns -------------------------------


def _drop_added_columns(run, database: str) -> None:
    for table, columns in schema.ADDED_COLUMNS.items():
        for column, _ in columns:
            run(f"ALTER TABLE {database}.{table} DROP COLUMN {column}")


def test_migrate_adds_the_new_columns_to_an_existing_database_and_keeps_its_rows(clickhouse, store):
    """18.16 has no ADD COLUMN IF NOT EXISTS: migrate reads system.columns and adds what is missing."""
    _drop_added_columns(store.query, store.database)
    lead_id = uuid.uuid4()
    store.insert_rows("leads", [{"lead_id": lead_id, "version": 1, "created_at": utcnow(), "status": "NEW"}])

    first = store.migrate()
    second = store.migrate()

    added = [s for s in first if s.startswith("ALTER")]
    assert added == [
        f"ALTER TABLE {store.database}.{table} ADD COLUMN {column} {kind}"
        for table, columns in schema.ADDED_COLUMNS.items()
        for column, kind in columns
    ]
    assert not [s for s in second if s.startswith("ALTER")], "a second migrate changes nothing"
    [(status, clicked_at)] = store.query(f"SELECT status, clicked_at FROM {store.database}.leads")
    assert (status, clicked_at) == ("NEW", datetime(1970, 1, 1))
    assert latest(store) == {}


# ---- the PWA buttons --------------------------------------------------------------------------


def test_owner_sends_a_failed_sale_again_then_cancels_it_from_the_pwa(
    clickhouse, store, tmp_path, make_server, tls, token_server, adjusting_peer
):
    from playwright.sync_api import expect

    from tests.support.admin import SECRET
    from tests.support.browser import PHONE, chromium
    from tests.support.clients import BROWSER_UA

    ads = ads_env("googleads", adjusting_peer.endpoint, str(tls[0]), token_server.url)
    server = make_server(clickhouse, store, workers=1, GOOGLE_ADS_UPLOAD_INTERVAL_S="0.3", **ads)
    adjusting_peer.bad_gclids.add("Cj0KCQiA-pwa-retried")
    body = form_lead(gclid="Cj0KCQiA-pwa-retried")
    assert post_lead(server.url, body).status_code == 201
    cid = convert_on(server.url, body["lead_id"])
    wait_for(lambda: latest(store)[cid]["state"] == "FAILED", what="the sale FAILED at Google")
    adjusting_peer.bad_gclids.clear()

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, user_agent=BROWSER_UA).new_page()
        page.set_default_timeout(20_000)
        expect.set_options(timeout=15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{server.url}/admin/")
        page.fill("#secret", SECRET)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#lead-list .card").first).to_be_visible()  # the first view has rendered
        page.goto(f"{server.url}/admin/#/sales")
        card = page.locator(f"#sale-{cid}")
        expect(card).to_contain_text("Başarısız")
        card.get_by_role("button", name="Yeniden gönder").click()
        expect(page.locator("#toast")).to_have_text("Yeniden gönderim için sıraya alındı")
        wait_for(lambda: latest(store)[cid]["state"] == "UPLOADED", what="the re-sent sale UPLOADED")
        page.goto(f"{server.url}/admin/#/leads")
        page.goto(f"{server.url}/admin/#/sales")
        expect(card).to_contain_text("Gönderildi")
        expect(card.get_by_role("button", name="Yeniden gönder")).to_have_count(0)
        card.get_by_role("button", name="Satışı düzelt / iptal").click()
        card.get_by_role("button", name="Satışı iptal et").click()
        expect(page.locator("#toast")).to_have_text("Satış iptal edildi")

    def retracted() -> bool:
        calls = [c for c in adjusting_peer.calls if c.method == "UploadConversionAdjustments"]
        return [
            (a.adjustment_type.name, a.order_id) for c in calls for a in c.request.conversion_adjustments
        ] == [("RETRACTION", str(cid))]

    wait_for(retracted, what="Google Ads received the retraction")
    assert adjusting_peer.sent_order_ids() == [str(cid)]
