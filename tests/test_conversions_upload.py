"""Offline conversion upload against local TLS gRPC peers reached by the real Google client libraries."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.ads import datamanager_v1 as dm

from eslamed.conversions.ads_check import check_account
from eslamed.conversions.settings import ads_config, upload_leader
from eslamed.conversions.uploader import Uploader, make_backend
from tests.support.conversions import (
    history,
    latest,
    seed_lead,
    seed_sale,
    settings_for,
    utcnow,
)
from tests.support.google_fixtures import PHONE_SHA256, UPLOAD_METHOD, sent_ids, uploader
from tests.support.paths import REPO
from tests.support.server import base_env, run_cli


def test_sale_of_15000_tl_on_a_click_three_days_old_sends_exact_fields(store, settings, peer, backend_name):
    now = utcnow()
    clicked_at, closed_at = now - timedelta(days=3), now - timedelta(hours=2)
    gclid = "Cj0KCQiAxYz-example_gclid_123"
    lead_id = seed_lead(store, clicked_at, gclid=gclid, source="whatsapp")
    conversion_id = seed_sale(store, lead_id, closed_at, revenue="15000.00")

    report = uploader(store, settings).run_once()

    assert latest(store)[conversion_id]["state"] == "UPLOADED"
    assert report.states == {"UPLOADED": 1}
    [call] = [c for c in peer.calls if c.method == UPLOAD_METHOD[backend_name]]
    assert call.metadata["authorization"] == "Bearer ya29.local-test-token"
    if backend_name == "datamanager":
        request = call.request
        [event] = request.events
        assert event.transaction_id == str(conversion_id)
        assert event.event_timestamp == closed_at.replace(tzinfo=UTC)
        assert event.conversion_value == 15000.0
        assert event.currency == "TRY"
        assert event.ad_identifiers.gclid == gclid
        assert [u.phone_number for u in event.user_data.user_identifiers] == [PHONE_SHA256]
        assert event.consent.ad_user_data == dm.ConsentStatus.CONSENT_GRANTED
        assert event.event_source == dm.EventSource.MESSAGE
        assert request.encoding == dm.Encoding.HEX
        [destination] = request.destinations
        assert destination.operating_account.account_id == "1234567890"
        assert destination.operating_account.account_type == dm.ProductAccount.AccountType.GOOGLE_ADS
        assert destination.product_destination_id == "987654321"
        assert not request.validate_only
        # The next run reads Google's final word and records it; nothing is sent again.
        uploader(store, settings).run_once()
        assert [c.method for c in peer.calls] == ["IngestEvents", "RetrieveRequestStatus"]
        final = latest(store)[conversion_id]
        assert (final["state"], final["reason"]) == (
            "UPLOADED",
            "Google satışı işledi / Google processed the sale",
        )
    else:
        request = call.request
        [conversion] = request.conversions
        istanbul = (closed_at + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S") + "+03:00"
        assert conversion.conversion_date_time == istanbul
        assert conversion.conversion_value == 15000.0
        assert conversion.currency_code == "TRY"
        assert conversion.gclid == gclid
        assert conversion.order_id == str(conversion_id)
        assert [u.hashed_phone_number for u in conversion.user_identifiers] == [PHONE_SHA256]
        assert conversion.conversion_action == "customers/1234567890/conversionActions/987654321"
        assert conversion.consent.ad_user_data.name == "GRANTED"
        assert request.customer_id == "1234567890"
        assert request.partial_failure is True
        assert call.metadata["developer-token"] == "dev-token-allowlisted"


def test_one_bad_row_in_ten_fails_alone_with_a_readable_reason(store, settings, peer, backend_name):
    now = utcnow()
    ids, bad_id = [], None
    for i in range(10):
        gclid = "Cj0BROKEN-gclid-0000" if i == 6 else f"Cj0KCQiA-good-{i:04d}"
        conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=2), gclid=gclid), now)
        ids.append(conversion_id)
        bad_id = conversion_id if i == 6 else bad_id
    peer.bad_gclids.add("Cj0BROKEN-gclid-0000")

    uploader(store, settings).run_once()

    rows = latest(store)
    assert sorted(rows[c]["state"] for c in ids).count("UPLOADED") == 9
    assert rows[bad_id]["state"] == "FAILED"
    assert "gclid" in rows[bad_id]["reason"]
    assert rows[bad_id]["reason"].startswith(("Tıklama kimliği", "Google bir alanı"))
    assert sorted(sent_ids(peer)) == sorted(str(c) for c in ids if c != bad_id)


def test_unavailable_twice_then_ok_uploads_once_with_retry_rows_between(store, settings, peer, backend_name):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now - timedelta(minutes=5))
    peer.unavailable_left = 2
    clock = [now]
    job = uploader(store, settings, clock=lambda: clock[0])

    job.run_once()
    job.run_once()  # backoff not over yet: nothing is sent
    clock[0] += timedelta(hours=1)
    job.run_once()
    clock[0] += timedelta(hours=1)
    job.run_once()

    states = [(r["state"], r["attempts"]) for r in history(store, conversion_id)]
    assert states[:4] == [("PENDING", 0), ("RETRY", 1), ("RETRY", 2), ("UPLOADED", 3)]
    confirmed_by_request_status = [("UPLOADED", 3)] if backend_name == "datamanager" else []
    assert states[4:] == confirmed_by_request_status
    assert "tekrar denenecek" in history(store, conversion_id)[1]["reason"]
    assert len(peer.requests(UPLOAD_METHOD[backend_name])) == 3
    assert sent_ids(peer) == [str(conversion_id)]


def test_running_twice_or_concurrently_sends_each_sale_once(store, settings, peer, backend_name, tmp_path):
    now = utcnow()
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1)), now) for _ in range(6)]

    def guarded_run() -> None:
        lock = upload_leader(settings)
        while not lock.acquire():
            time.sleep(0.05)
        try:
            uploader(store, settings).run_once()
        finally:
            lock.release()

    threads = [threading.Thread(target=guarded_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    guarded_run()

    assert sorted(sent_ids(peer)) == sorted(str(c) for c in ids)
    assert {latest(store)[c]["state"] for c in ids} == {"UPLOADED"}


def test_no_click_id_and_no_phone_is_skipped_and_no_consent_is_never_sent(store, settings, peer):
    now = utcnow()
    anonymous = seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid="", phone=""), now)
    refused = seed_sale(store, seed_lead(store, now - timedelta(days=1), consent=0), now)

    uploader(store, settings).run_once()

    rows = latest(store)
    assert rows[anonymous]["state"] == "SKIPPED"
    assert "Tıklama kimliği ve telefon yok" in rows[anonymous]["reason"]
    assert rows[refused]["state"] == "SKIPPED"
    assert "ad-data consent" in rows[refused]["reason"]
    assert peer.calls == []


def test_phone_only_lead_is_sent_for_enhanced_conversions(store, settings, peer, backend_name):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid=""), now)

    uploader(store, settings).run_once()

    assert latest(store)[conversion_id]["state"] == "UPLOADED"
    [request] = peer.requests(UPLOAD_METHOD[backend_name])
    if backend_name == "datamanager":
        assert request.events[0].user_data.user_identifiers[0].phone_number == PHONE_SHA256
        assert not request.events[0].ad_identifiers.gclid
    else:
        assert request.conversions[0].user_identifiers[0].hashed_phone_number == PHONE_SHA256
        assert not request.conversions[0].gclid


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_ADS_", "DATAMANAGER_"))}
    clean.update(env, PYTHONPATH=str(REPO))
    return run_cli(clean, *args)


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_cli_dry_run_validates_only_then_upload_stores(clickhouse, store, tmp_path, env, peer):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    full_env = {**base_env(clickhouse.url, store.database, tmp_path), **env}

    dry = _cli(full_env, "conversions", "upload", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "validate_only" in dry.stdout and "UPLOADED 1" in dry.stdout
    assert peer.requests("IngestEvents")[0].validate_only is True
    assert latest(store)[conversion_id]["state"] == "PENDING"

    real = _cli(full_env, "conversions", "upload")
    assert real.returncode == 0, real.stderr
    assert f"{conversion_id}  UPLOADED" in real.stdout
    assert peer.sent_transaction_ids() == [str(conversion_id)]


def test_missing_config_keeps_sales_pending_and_fails_the_cron_job(clickhouse, store, tmp_path):
    """Exit 0 here would let cron stay silent for weeks while no sale reaches Google."""
    conversion_id = seed_sale(store, seed_lead(store, utcnow() - timedelta(days=1)), utcnow())

    result = _cli(base_env(clickhouse.url, store.database, tmp_path), "conversions", "upload")

    assert result.returncode == 3, result.stdout
    assert "Google Ads not configured" in result.stderr
    assert "GOOGLE_ADS_CUSTOMER_ID" in result.stderr
    assert "sales stay PENDING" in result.stderr
    assert latest(store)[conversion_id]["state"] == "PENDING"


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_upload_runs_without_a_geoip_database(clickhouse, store, tmp_path, env, peer):
    """An upload enriches nothing, so a cron box without the MaxMind file still sends sales."""
    conversion_id = seed_sale(store, seed_lead(store, utcnow() - timedelta(days=1)), utcnow())
    cron_env = {**base_env(clickhouse.url, store.database, tmp_path), **env}
    del cron_env["GEOIP_CITY_DB"]

    result = _cli(cron_env, "conversions", "upload")

    assert result.returncode == 0, result.stderr
    assert f"{conversion_id}  UPLOADED" in result.stdout
    assert peer.sent_transaction_ids() == [str(conversion_id)]


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_ads_check_reports_a_ready_account_and_a_wrong_action_in_plain_words(
    clickhouse, store, tmp_path, env, peer, settings
):
    ok = _cli({**base_env(clickhouse.url, store.database, tmp_path), **env}, "ads", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Eslamed Medikal" in ok.stdout and "ready for uploads" in ok.stdout

    peer.account.actions[987654321] = ("Satış (offline)", "WEBPAGE")
    problems, _ = check_account(ads_config(settings))
    assert any("UPLOAD_CLICKS" in p for p in problems)

    peer.account.actions = {1: ("Başka", "UPLOAD_CLICKS")}
    problems, _ = check_account(ads_config(settings))
    assert problems == ["conversion action 987654321 does not exist in customer 1234567890"]


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_two_gunicorn_workers_upload_each_sale_once(clickhouse, store, env, peer, make_server):
    now = utcnow()
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1)), now) for _ in range(5)]

    server = make_server(clickhouse, store, workers=2, GOOGLE_ADS_UPLOAD_INTERVAL_S="0.3", **env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {latest(store)[c]["state"] for c in ids} != {"UPLOADED"}:
        time.sleep(0.2)
    time.sleep(1.0)  # several more cycles of both workers

    assert {latest(store)[c]["state"] for c in ids} == {"UPLOADED"}, server.log()
    assert sorted(peer.sent_transaction_ids()) == sorted(str(c) for c in ids)


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_already_uploaded_counts_as_uploaded_and_too_recent_waits_six_hours(store, settings, peer):
    now = utcnow()
    known = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    fresh = seed_sale(store, seed_lead(store, now - timedelta(hours=1), gclid="Cj0KCQiA-fresh-click"), now)
    peer.accepted_orders.append(str(known))  # an earlier attempt reached Google before we recorded it
    peer.gclid_errors["Cj0KCQiA-fresh-click"] = "TOO_RECENT_EVENT"

    uploader(store, settings, clock=lambda: now).run_once()

    rows = latest(store)
    assert rows[known]["state"] == "UPLOADED"
    assert "CLICK_CONVERSION_ALREADY_EXISTS" in rows[known]["reason"]
    assert rows[fresh]["state"] == "RETRY"
    assert rows[fresh]["next_attempt_at"] == now + timedelta(hours=6)
    assert "6 saat" in rows[fresh]["reason"]


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_request_status_failure_is_recorded_as_failed(store, settings, peer):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    peer.final_status = "FAILED"

    job = uploader(store, settings)
    job.run_once()

    final = latest(store)[conversion_id]
    assert final["state"] == "FAILED"
    assert "Bu tıklama bu Google Ads hesabında bulunamadı" in final["reason"]
    assert [c.method for c in peer.calls] == ["IngestEvents", "RetrieveRequestStatus"]


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_service_account_key_file_authenticates_without_oauth_client(
    clickhouse, store, tmp_path, env, peer, token_server
):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "eslamed-test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "uploader@eslamed-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_server.url,
            }
        )
    )
    oauth = ("GOOGLE_ADS_CLIENT_ID", "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_REFRESH_TOKEN")
    sa_env = {k: v for k, v in env.items() if k not in oauth}
    sa_env["GOOGLE_ADS_SERVICE_ACCOUNT_FILE"] = str(key_file)
    settings = settings_for(clickhouse.url, store, tmp_path, **sa_env)
    conversion_id = seed_sale(store, seed_lead(store, utcnow() - timedelta(days=1)), utcnow())
    grants_before = len(token_server.grants)

    uploader(store, settings).run_once()

    assert latest(store)[conversion_id]["state"] == "UPLOADED"
    new_grants = token_server.grants[grants_before:]
    assert new_grants and new_grants[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def flock_holders() -> dict[int, int]:
    """inode -> pid of every flock on this machine, from /proc/locks."""
    holders = {}
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if parts[1] == "FLOCK":
            holders[int(parts[5].rsplit(":", 1)[1])] = int(parts[4])
    return holders


def lock_holder(lock_file) -> int | None:
    return flock_holders().get(os.stat(lock_file).st_ino)


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_killed_uploading_worker_hands_over_to_another(clickhouse, store, env, peer, make_server, tmp_path):
    server = make_server(clickhouse, store, workers=2, GOOGLE_ADS_UPLOAD_INTERVAL_S="0.3", **env)
    lock_file = tmp_path / "spool" / "locks" / "conversions-upload.lock"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (lock_file.exists() and lock_holder(lock_file)):
        time.sleep(0.1)
    holder = lock_holder(lock_file)
    assert holder in server.worker_pids(), server.log()

    server.kill_worker(holder)
    conversion_id = seed_sale(store, seed_lead(store, utcnow() - timedelta(days=1)), utcnow())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and latest(store)[conversion_id]["state"] != "UPLOADED":
        time.sleep(0.2)

    assert latest(store)[conversion_id]["state"] == "UPLOADED", server.log()
    assert lock_holder(lock_file) not in (None, holder)
    assert peer.sent_transaction_ids() == [str(conversion_id)]
    # Let the replacement worker finish booting (it holds its ring slot's flock) before teardown:
    # a SIGTERM that reaches a worker before gunicorn installs its handlers is lost.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(server.worker_pids()) <= set(flock_holders().values()):
        time.sleep(0.2)


def test_revoked_refresh_token_keeps_the_sale_and_names_the_credentials(store, settings, peer, token_server):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    token_server.revoked = True
    try:
        uploader(store, settings, clock=lambda: now).run_once()
    finally:
        token_server.revoked = False

    row = latest(store)[conversion_id]
    assert row["state"] == "RETRY"
    assert "[UNAUTHENTICATED]" in row["reason"] and "refresh token" in row["reason"]
    assert row["next_attempt_at"] == now + timedelta(hours=6)
    assert peer.calls == []


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_batches_never_exceed_the_batch_size(store, settings, peer):
    now = utcnow()
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1)), now) for _ in range(7)]

    Uploader(store, make_backend(ads_config(settings)), batch_size=3).run_once()

    assert [len(r.events) for r in peer.requests("IngestEvents")] == [3, 3, 1]
    assert sorted(peer.sent_transaction_ids()) == sorted(str(c) for c in ids)


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_wrong_conversion_action_is_not_blamed_on_the_sales(store, settings, peer):
    now = utcnow()
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1)), now) for _ in range(4)]
    peer.request_error = "INVALID_CONVERSION_ACTION_ID"

    uploader(store, settings, clock=lambda: now).run_once()

    assert len(peer.requests("IngestEvents")) == 1  # an account problem: the batch is not split
    rows = latest(store)
    assert {rows[c]["state"] for c in ids} == {"RETRY"}
    assert all("GOOGLE_ADS_CONVERSION_ACTION_ID" in rows[c]["reason"] for c in ids)
    assert {rows[c]["next_attempt_at"] for c in ids} == {now + timedelta(hours=6)}
