"""How each answer Google gives ends up as the state and reason the owner sees (issue 14).

Every test drives the real client libraries over TLS against the local peers (and the local
OAuth token endpoint), then checks the sale's state in ClickHouse and the exact requests sent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.ads import datamanager_v1 as dm

from eslamed.conversions.ads_check import check_account
from eslamed.conversions.datamanager_backend import DataManagerBackend, destination_outcome
from eslamed.conversions.quota import CallBudget
from eslamed.conversions.settings import ads_config
from eslamed.conversions.uploader import Uploader
from eslamed.core import metrics
from tests.support.conversions import latest, seed_lead, seed_sale, settings_for, utcnow
from tests.support.google_fixtures import UPLOAD_METHOD, sent_ids, uploader
from tests.support.google_peers import unreachable_url

REQUEST_WIDE_CODES = [
    "UNKNOWN",
    "UNIMPLEMENTED",
    "FAILED_PRECONDITION",
    "INVALID_ARGUMENT",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "NOT_FOUND",
    "OUT_OF_RANGE",
    "DATA_LOSS",
    "CANCELLED",
    "ALREADY_EXISTS",
    "ABORTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DEADLINE_EXCEEDED",
    "RESOURCE_EXHAUSTED",
]


def methods(peer) -> list[str]:
    return [c.method for c in peer.calls]


def request_errors(backend: str, code: str) -> float:
    return metrics.CONVERSION_REQUEST_ERRORS.labels(backend, code)._value.get()


@pytest.mark.parametrize("code", REQUEST_WIDE_CODES)
def test_request_wide_error_never_fails_or_uploads_a_sale(store, settings, peer, backend_name, code):
    now = utcnow()
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1)), now) for _ in range(3)]
    peer.request_code = code
    alerts_before = request_errors(backend_name, code)

    uploader(store, settings, clock=lambda: now).run_once()

    rows = latest(store)
    assert {rows[c]["state"] for c in ids} == {"RETRY"}
    assert all(f"[{code}]" in rows[c]["reason"] for c in ids)
    assert all(rows[c]["next_attempt_at"] > now for c in ids)
    assert methods(peer) == [UPLOAD_METHOD[backend_name]]  # one request, not split into sales
    assert (
        len(
            peer.calls[0].request.events
            if backend_name == "datamanager"
            else peer.calls[0].request.conversions
        )
        == 3
    )
    assert sent_ids(peer) == []
    assert request_errors(backend_name, code) == alerts_before + 1


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_too_recent_click_in_request_status_retries_after_six_hours_then_uploads(store, settings, peer):
    now = utcnow()
    gclid = "Cj0KCQiA-click-minutes-ago"
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(minutes=20), gclid=gclid), now)
    peer.status_errors[gclid] = "PROCESSING_ERROR_REASON_TOO_RECENT_CLICK"
    clock = [now]
    job = uploader(store, settings, clock=lambda: clock[0])

    job.run_once()

    row = latest(store)[conversion_id]
    assert row["state"] == "RETRY"
    assert row["next_attempt_at"] == now + timedelta(hours=6)
    assert "6 saat" in row["reason"] and "[PROCESSING_ERROR_REASON_TOO_RECENT_CLICK]" in row["reason"]
    [ingest] = peer.requests("IngestEvents")
    [asked] = peer.requests("RetrieveRequestStatus")
    assert asked.request_id == row["request_id"] and ingest.events[0].transaction_id == str(conversion_id)

    del peer.status_errors[gclid]
    clock[0] += timedelta(hours=6)
    job.run_once()

    final = latest(store)[conversion_id]
    assert (final["state"], final["reason"]) == (
        "UPLOADED",
        "Google satışı işledi / Google processed the sale",
    )
    assert methods(peer) == ["IngestEvents", "RetrieveRequestStatus"] * 2
    assert [e.transaction_id for r in peer.requests("IngestEvents") for e in r.events] == [
        str(conversion_id)
    ] * 2


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_partial_success_is_never_uploaded_each_sale_is_resent_alone(store, settings, peer):
    now = utcnow()
    gclids = [f"Cj0KCQiA-partial-{i:04d}" for i in range(3)]
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid=g), now) for g in gclids]
    peer.status_errors[gclids[1]] = "PROCESSING_ERROR_REASON_CLICK_NOT_FOUND"
    clock = [now]
    job = uploader(store, settings, clock=lambda: clock[0])

    job.run_once()

    rows = latest(store)
    assert {rows[c]["state"] for c in ids} == {"RETRY"}
    assert all("[PARTIAL_SUCCESS_UNATTRIBUTED]" in rows[c]["reason"] for c in ids)
    assert all("PROCESSING_ERROR_REASON_CLICK_NOT_FOUND x1" in rows[c]["reason"] for c in ids)

    clock[0] += timedelta(minutes=2)
    job.run_once()

    rows = latest(store)
    assert rows[ids[1]]["state"] == "FAILED"
    assert "Bu tıklama bu Google Ads hesabında bulunamadı" in rows[ids[1]]["reason"]
    for good in (ids[0], ids[2]):
        assert rows[good]["state"] == "UPLOADED"
        assert "Google already had this sale" in rows[good]["reason"]
    assert [len(r.events) for r in peer.requests("IngestEvents")] == [3, 1, 1, 1]
    alone = [r.events[0].transaction_id for r in peer.requests("IngestEvents")[1:]]
    assert sorted(alone) == sorted(str(c) for c in ids)
    assert len(peer.requests("RetrieveRequestStatus")) == 4


@pytest.mark.parametrize(
    ("request_status", "counts", "records", "state", "reason_part"),
    [
        ("SUCCESS", [], 3, "UPLOADED", "Google processed the sale"),
        ("PROCESSING", [], 3, None, None),
        ("FAILED", [("PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID", 3)], 3, "UPLOADED", "already had"),
        (
            "PARTIAL_SUCCESS",
            [("PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID", 1)],
            3,
            "UPLOADED",
            "processed",
        ),
        ("FAILED", [("PROCESSING_ERROR_REASON_TOO_RECENT_CLICK", 3)], 3, "RETRY", "6 saat"),
        ("PARTIAL_SUCCESS", [("PROCESSING_ERROR_REASON_TOO_RECENT_CLICK", 1)], 3, "RETRY", "6 saat"),
        ("FAILED", [("PROCESSING_ERROR_REASON_EVENT_TOO_OLD", 3)], 3, "FAILED", "too old"),
        ("FAILED", [("PROCESSING_ERROR_REASON_INVALID_GCLID", 1)], 1, "FAILED", "gclid"),
        ("FAILED", [("PROCESSING_ERROR_REASON_INTERNAL_ERROR", 2)], 2, "RETRY", "internal"),
        (
            "FAILED",
            [("PROCESSING_ERROR_REASON_INVALID_GCLID", 1), ("PROCESSING_ERROR_REASON_EVENT_TOO_OLD", 1)],
            2,
            "RETRY",
            "PARTIAL_SUCCESS_UNATTRIBUTED",
        ),
        ("PARTIAL_SUCCESS", [("PROCESSING_ERROR_REASON_NO_CONSENT", 1)], 3, "RETRY", "on its own"),
        (
            "FAILED",
            [("PROCESSING_ERROR_REASON_DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED", 2)],
            2,
            "RETRY",
            "Enhanced conversions terms",
        ),
    ],
)
def test_request_status_counts_map_to_one_state_without_guessing(
    request_status, counts, records, state, reason_part
):
    status = dm.RequestStatusPerDestination(
        request_status=dm.RequestStatusPerDestination.RequestStatus[request_status],
        error_info=dm.ErrorInfo(
            error_counts=[
                dm.ErrorCount(record_count=n, reason=dm.ProcessingErrorReason[r]) for r, n in counts
            ]
        ),
        events_ingestion_status=dm.RequestStatusPerDestination.IngestEventsStatus(record_count=records),
    )

    outcome = destination_outcome(status, "req-1")

    if state is None:
        assert outcome is None
    else:
        assert outcome.state == state
        assert reason_part in outcome.reason


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_request_id_google_forgot_is_resent_not_asked_for_a_week(store, settings, peer):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    peer.forget_requests = True
    clock = [now]
    job = uploader(store, settings, clock=lambda: clock[0])

    job.run_once()

    row = latest(store)[conversion_id]
    assert row["state"] == "RETRY" and "[REQUEST_ID_NOT_FOUND]" in row["reason"]
    peer.forget_requests = False
    clock[0] += timedelta(minutes=2)
    job.run_once()  # sent again, not asked again: Google drops the copy by transaction id
    clock[0] += timedelta(days=1)
    job.run_once()

    assert methods(peer) == ["IngestEvents", "RetrieveRequestStatus"] * 2
    assert [e.transaction_id for r in peer.requests("IngestEvents") for e in r.events] == [
        str(conversion_id)
    ] * 2
    final = latest(store)[conversion_id]
    assert final["state"] == "UPLOADED" and "Google already had this sale" in final["reason"]


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_bad_event_named_by_index_costs_two_calls_not_a_split(store, settings, peer):
    now = utcnow()
    gclids = [f"Cj0KCQiA-indexed-{i:04d}" for i in range(10)]
    ids = [seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid=g), now) for g in gclids]
    peer.bad_gclids.add(gclids[6])

    uploader(store, settings).run_once()

    rows = latest(store)
    assert rows[ids[6]]["state"] == "FAILED"
    assert [len(r.events) for r in peer.requests("IngestEvents")] == [10, 9]
    assert sorted(peer.sent_transaction_ids()) == sorted(str(c) for i, c in enumerate(ids) if i != 6)


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_split_without_indices_stops_at_the_call_budget(store, settings, peer):
    now = utcnow()
    gclids = [f"Cj0KCQiA-unindexed-{i:04d}" for i in range(8)]
    # sales are sent oldest first: the bad one (the oldest) is in the first half of every split
    ids = [
        seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid=g), now - timedelta(minutes=8 - i))
        for i, g in enumerate(gclids)
    ]
    peer.unindexed_gclids.add(gclids[0])
    backend = DataManagerBackend(ads_config(settings), budget=CallBudget(per_minute=5))

    Uploader(store, backend, clock=lambda: now).run_once()

    # 8 -> 4 -> 2 -> 1 + 1 (the bad half halved down to the bad event), then the minute's budget is spent
    assert [len(r.events) for r in peer.requests("IngestEvents")] == [8, 4, 2, 1, 1]
    rows = latest(store)
    failed = [c for c in ids if rows[c]["state"] == "FAILED"]
    assert failed == [ids[0]] and "[INVALID_FORMAT]" in rows[ids[0]]["reason"]
    uploaded = [c for c in ids if rows[c]["state"] == "UPLOADED"]
    assert uploaded == [ids[1]] and peer.sent_transaction_ids() == [str(ids[1])]
    waiting = [c for c in ids if c not in failed + uploaded]
    assert len(waiting) == 6
    for c in waiting:
        assert rows[c]["state"] == "RETRY" and "[REQUEST_BUDGET_REACHED]" in rows[c]["reason"]
        assert rows[c]["next_attempt_at"] == now + timedelta(seconds=60)


@pytest.mark.parametrize("fault", ["connection refused", "503"])
def test_token_endpoint_unreachable_is_not_blamed_on_the_credentials(
    clickhouse, store, tmp_path, env, peer, token_server, fault
):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    token_uri = unreachable_url() if fault == "connection refused" else token_server.url
    settings = settings_for(clickhouse.url, store, tmp_path, **{**env, "GOOGLE_ADS_TOKEN_URI": token_uri})
    token_server.unavailable = fault == "503"
    try:
        uploader(store, settings, clock=lambda: now).run_once()
    finally:
        token_server.unavailable = False

    row = latest(store)[conversion_id]
    assert row["state"] == "RETRY"
    assert "Google unreachable" in row["reason"] and "[TOKEN_ENDPOINT_UNREACHABLE]" in row["reason"]
    assert "credentials" not in row["reason"]
    assert row["next_attempt_at"] == now + timedelta(minutes=1)
    assert peer.calls == []

    uploader(
        store, settings_for(clickhouse.url, store, tmp_path, **env), clock=lambda: now + timedelta(minutes=1)
    ).run_once()
    assert latest(store)[conversion_id]["state"] == "UPLOADED"


def test_refused_refresh_token_names_the_credentials_after_a_real_refresh_request(
    store, settings, peer, backend_name, token_server
):
    now = utcnow()
    conversion_id = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    token_server.revoked = True
    grants_before = len(token_server.grants)
    try:
        uploader(store, settings, clock=lambda: now).run_once()
    finally:
        token_server.revoked = False

    row = latest(store)[conversion_id]
    assert row["state"] == "RETRY" and "[UNAUTHENTICATED]" in row["reason"]
    assert row["next_attempt_at"] == now + timedelta(hours=6)
    [grant] = token_server.grants[grants_before:]  # one real refresh, answered 400 invalid_grant
    scope = {"datamanager": "datamanager", "googleads": "adwords"}[backend_name]
    assert grant == {
        "grant_type": "refresh_token",
        "client_id": "client-id.apps.googleusercontent.com",
        "client_secret": "client-secret",
        "refresh_token": "1//refresh-token",
        "scope": f"https://www.googleapis.com/auth/{scope}",
    }
    assert peer.calls == []


@pytest.mark.parametrize("backend_name", ["googleads"])
def test_duplicate_order_reads_google_already_had_this_sale(store, settings, peer):
    now = utcnow()
    known = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    peer.accepted_orders.append(str(known))

    uploader(store, settings, clock=lambda: now).run_once()

    row = latest(store)[known]
    assert row["state"] == "UPLOADED"
    assert row["reason"] == (
        "Google bu satışı zaten almış / Google already had this sale [CLICK_CONVERSION_ALREADY_EXISTS]"
    )


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_datamanager_duplicate_transaction_reads_google_already_had_this_sale(store, settings, peer):
    now = utcnow()
    known = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    peer.stored.add(str(known))

    uploader(store, settings, clock=lambda: now).run_once()

    row = latest(store)[known]
    assert row["state"] == "UPLOADED"
    assert "Google already had this sale [PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID]" in row["reason"]


@pytest.mark.parametrize("backend_name", ["googleads"])
@pytest.mark.parametrize(
    "refusal",
    ["CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS", "CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS"],
)
def test_account_refusing_hashed_phones_gets_the_click_id_alone(store, settings, peer, refusal):
    now = utcnow()
    with_click = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    phone_only = seed_sale(store, seed_lead(store, now - timedelta(days=1), gclid=""), now)
    peer.phone_refused = refusal
    clock = [now]
    job = uploader(store, settings, clock=lambda: clock[0])

    job.run_once()

    rows = latest(store)
    assert rows[with_click]["state"] == "UPLOADED"
    assert rows[phone_only]["state"] == "RETRY" and f"[{refusal}]" in rows[phone_only]["reason"]
    assert rows[phone_only]["next_attempt_at"] == now + timedelta(hours=6)
    first, second = peer.requests("UploadClickConversions")
    assert [len(c.user_identifiers) for c in first.conversions] == [1, 1]
    [again] = second.conversions
    assert again.order_id == str(with_click) and again.gclid and not again.user_identifiers
    assert peer.sent_order_ids() == [str(with_click)]

    later = seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)
    job.run_once()  # the account is remembered: one call, click id alone

    [third] = peer.requests("UploadClickConversions")[2:]
    assert [c.order_id for c in third.conversions] == [str(later)]
    assert not third.conversions[0].user_identifiers
    assert latest(store)[later]["state"] == "UPLOADED"


def test_both_consents_are_sent_as_the_lead_gave_them(store, settings, peer, backend_name):
    now = utcnow()
    seed_sale(store, seed_lead(store, now - timedelta(days=1)), now)

    uploader(store, settings).run_once()

    [request] = peer.requests(UPLOAD_METHOD[backend_name])
    if backend_name == "datamanager":
        consent = request.events[0].consent
        assert (consent.ad_user_data, consent.ad_personalization) == (dm.ConsentStatus.CONSENT_GRANTED,) * 2
    else:
        consent = request.conversions[0].consent
        assert (consent.ad_user_data.name, consent.ad_personalization.name) == ("GRANTED", "GRANTED")


@pytest.mark.parametrize("backend_name", ["datamanager"])
def test_ads_check_for_datamanager_needs_no_developer_token(clickhouse, store, tmp_path, env, peer):
    no_token = {k: v for k, v in env.items() if k != "GOOGLE_ADS_DEVELOPER_TOKEN"}
    config = ads_config(settings_for(clickhouse.url, store, tmp_path, **no_token))

    problems, facts = check_account(config)

    assert problems == []
    assert any("validate-only" in f for f in facts)
    [probe] = peer.requests("IngestEvents")
    assert probe.validate_only is True
    assert probe.destinations[0].product_destination_id == "987654321"
    assert peer.sent_transaction_ids() == []

    peer.request_code = "PERMISSION_DENIED"
    problems, _ = check_account(config)
    assert len(problems) == 1 and "[PERMISSION_DENIED]" in problems[0]
