"""Admin API against a real ClickHouse: leads, journey, status, phone, convert, conversions, push."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from eslamed.admin.push import parse_subscription
from eslamed.core.problems import Problem
from tests.support.admin import AUTH, admin_app
from tests.support.events import event_row
from tests.support.leads import seed_lead


@pytest.fixture
def client(clickhouse, store, tmp_path):
    return admin_app(clickhouse, store, tmp_path).test_client()


def latest(store, table, key, value):
    sql = f"SELECT * FROM {store.database}.{table} WHERE {key} = %(v)s ORDER BY version DESC LIMIT 1"
    return store.query_dicts(sql, {"v": value})[0]


def test_list_filters_search_and_cursor(client, store):
    base = datetime(2026, 11, 20, 9, 0)
    ids = [
        seed_lead(store, name=f"Kişi {i}", phone=f"+90532123450{i}", created_at=base + timedelta(hours=i))[
            "lead_id"
        ]
        for i in range(5)
    ]
    seed_lead(store, name="Ayşe Spam", status="SPAM", phone="+905559998877", created_at=base)

    first = client.get("/api/admin/leads?limit=2", headers=AUTH).get_json()
    assert [row["id"] for row in first["leads"]] == [str(ids[4]), str(ids[3])]
    assert first["counts"]["NEW"] == 5 and first["counts"]["SPAM"] == 1
    second = client.get(f"/api/admin/leads?limit=2&cursor={first['next_cursor']}", headers=AUTH).get_json()
    assert [row["id"] for row in second["leads"]] == [str(ids[2]), str(ids[1])]

    by_phone = client.get("/api/admin/leads?q=0532 123 4503", headers=AUTH).get_json()["leads"]
    assert [row["id"] for row in by_phone] == [str(ids[3])]
    everything = client.get("/api/admin/leads", headers=AUTH).get_json()["leads"]
    assert len(everything) == 5 and "SPAM" not in {row["status"] for row in everything}, "Tümü has no SPAM"
    assert client.get("/api/admin/leads?q=ayşe", headers=AUTH).get_json()["leads"] == []
    by_name = client.get("/api/admin/leads?q=ayşe&status=SPAM", headers=AUTH).get_json()["leads"]
    assert [row["name"] for row in by_name] == ["Ayşe Spam"]
    spam = client.get("/api/admin/leads?status=SPAM", headers=AUTH).get_json()["leads"]
    assert len(spam) == 1
    bad = client.get("/api/admin/leads?status=WON", headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["field"] == "status"


def test_detail_has_journey_in_order(client, store):
    t0 = datetime(2026, 11, 25, 10, 0)
    visitor = "v-journey"
    store.insert_rows(
        "events",
        [
            event_row(t0 + timedelta(minutes=3), type="call_click", visitor_id=visitor, session_id="s1"),
            event_row(
                t0,
                visitor_id=visitor,
                session_id="s1",
                url="https://eslamed.example/oksijen?gclid=G-123",
                source="paid",
                gclid="G-123",
                utm_campaign="pmax-istanbul",
                city="Istanbul",
            ),
            event_row(
                t0 + timedelta(minutes=1),
                visitor_id=visitor,
                session_id="s1",
                url="https://eslamed.example/fiyat",
            ),
            event_row(t0, visitor_id="someone-else", session_id="s9"),
        ],
    )
    lead = seed_lead(store, visitor_id=visitor, gclid="G-123", created_at=t0 + timedelta(minutes=5))
    body = client.get(f"/api/admin/leads/{lead['lead_id']}", headers=AUTH).get_json()
    events = body["journey"]["events"]
    assert [e["type"] for e in events] == ["pageview", "pageview", "call_click"]
    summary = body["journey"]["summary"]
    assert summary["landing_page"] == "https://eslamed.example/oksijen?gclid=G-123"
    assert (
        summary["gclid"] == "G-123" and summary["source"] == "paid" and summary["campaign"] == "pmax-istanbul"
    )
    assert summary["pages"] == 2 and summary["cta_clicks"] == 1
    assert [h["status"] for h in body["history"]] == ["NEW"]
    missing = client.get(f"/api/admin/leads/{uuid.uuid4()}", headers=AUTH)
    assert missing.status_code == 404


def test_status_and_phone_are_new_versions(client, store):
    lead = seed_lead(store, source="whatsapp", phone="")
    url = f"/api/admin/leads/{lead['lead_id']}"
    assert (
        client.post(f"{url}/status", json={"status": "CONTACTED", "note": "aradım"}, headers=AUTH).status_code
        == 200
    )
    reply = client.post(f"{url}/phone", json={"phone": "0533 765 43 21"}, headers=AUTH)
    assert reply.status_code == 200
    rows = store.query_dicts(
        f"SELECT status, phone, note FROM {store.database}.leads WHERE lead_id = %(v)s ORDER BY version",
        {"v": lead["lead_id"]},
    )
    assert [(r["status"], r["phone"]) for r in rows] == [
        ("NEW", ""),
        ("CONTACTED", ""),
        ("CONTACTED", "+905337654321"),
    ]
    assert rows[2]["note"] == "aradım"
    history = client.get(url, headers=AUTH).get_json()["history"]
    assert [(h["status"], h["phone_changed"]) for h in history] == [
        ("NEW", 0),
        ("CONTACTED", 0),
        ("CONTACTED", 1),
    ]
    bad = client.post(f"{url}/status", json={"status": "CONVERTED"}, headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["field"] == "status"
    bad_phone = client.post(f"{url}/phone", json={"phone": "12"}, headers=AUTH)
    assert bad_phone.status_code == 400 and bad_phone.get_json()["field"] == "phone"


def test_convert_is_idempotent_and_refuses_a_second_sale_unless_asked(client, store):
    lead = seed_lead(store, gclid="G-1", gbraid="B-1", phone="+905321234567", consent=1)
    url = f"/api/admin/leads/{lead['lead_id']}/convert"
    sale = {"revenue": "15000", "deal_type": "satis", "closed_at": "2026-11-20"}

    created = client.post(url, json=sale, headers=AUTH)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "PENDING" and body["revenue"] == "15000.00" and body["lead_status"] == "CONVERTED"

    row = latest(store, "conversions", "conversion_id", uuid.UUID(body["conversion_id"]))
    assert row["revenue"] == Decimal("15000.00") and row["currency"] == "TRY" and row["deal_type"] == "satis"
    assert (row["gclid"], row["gbraid"], row["consent"]) == ("G-1", "B-1", 1)
    assert row["phone_sha256"] == hashlib.sha256(b"+905321234567").hexdigest()
    assert row["closed_at"] == datetime(2026, 11, 20, 9, 0)
    assert latest(store, "leads", "lead_id", lead["lead_id"])["status"] == "CONVERTED"

    again = client.post(url, json=sale, headers=AUTH)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["conversion_id"] == body["conversion_id"]

    other = client.post(url, json={**sale, "revenue": "900"}, headers=AUTH)
    assert other.status_code == 409

    key = {**AUTH, "Idempotency-Key": "k-2"}
    second = client.post(url, json={**sale, "revenue": "900", "second_deal": True}, headers=key)
    assert second.status_code == 201 and second.get_json()["deal_seq"] == 2
    replay = client.post(url, json={**sale, "revenue": "900", "second_deal": True}, headers=key)
    assert (
        replay.status_code == 200 and replay.get_json()["conversion_id"] == second.get_json()["conversion_id"]
    )

    count = store.query(
        f"SELECT uniqExact(conversion_id) FROM {store.database}.conversions WHERE lead_id = %(v)s",
        {"v": lead["lead_id"]},
    )[0][0]
    assert count == 2

    listed = client.get("/api/admin/conversions", headers=AUTH).get_json()
    assert listed["counts"]["PENDING"] == 2 and listed["google_ads_configured"] is False
    assert {c["revenue"] for c in listed["conversions"]} == {"15000.00", "900.00"}
    assert listed["conversions"][0]["lead_name"] == "Test Müşteri"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"revenue": "-5", "deal_type": "satis"}, "revenue"),
        ({"revenue": "15.000,00", "deal_type": "satis"}, "revenue"),
        ({"revenue": "100", "deal_type": "hediye"}, "deal_type"),
        ({"revenue": "100", "deal_type": "satis", "closed_at": "2099-01-01"}, "closed_at"),
    ],
)
def test_convert_rejects_bad_input_and_stores_nothing(client, store, body, field):
    lead = seed_lead(store)
    reply = client.post(f"/api/admin/leads/{lead['lead_id']}/convert", json=body, headers=AUTH)
    assert reply.status_code == 400 and reply.get_json()["field"] == field
    assert store.query(f"SELECT count() FROM {store.database}.conversions")[0][0] == 0


def test_conversions_report_google_ads_configured(clickhouse, store, tmp_path):
    app = admin_app(clickhouse, store, tmp_path, GOOGLE_ADS_CUSTOMER_ID="1234567890")
    body = app.test_client().get("/api/admin/conversions", headers=AUTH).get_json()
    assert body["google_ads_configured"] is True


def test_push_subscribe_stores_the_subscription(client, store):
    sub = {
        "endpoint": "https://push.example/send/abc",
        "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1Xbjhaz",
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    }
    assert client.post("/api/admin/push/subscribe", json=sub, headers=AUTH).status_code == 201
    row = latest(store, "push_subscriptions", "endpoint", sub["endpoint"])
    assert (row["p256dh"], row["auth"], row["active"]) == (sub["keys"]["p256dh"], sub["keys"]["auth"], 1)
    assert (
        client.post(
            "/api/admin/push/unsubscribe", json={"endpoint": sub["endpoint"]}, headers=AUTH
        ).status_code
        == 200
    )
    assert latest(store, "push_subscriptions", "endpoint", sub["endpoint"])["active"] == 0
    bad = client.post("/api/admin/push/subscribe", json={"endpoint": "http://x", "keys": {}}, headers=AUTH)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("auth", "ok"),
    [
        ("tBHItJI5svbpez7KI4CCXg", True),
        ("-_", True),
        ("a==", True),
        ("abc\n", False),
        ("çok", False),
        ("=", False),
    ],
)
def test_push_keys_are_checked_against_the_documented_pattern(auth: str, ok: bool) -> None:
    """openapi.yaml says ^[A-Za-z0-9_-]+=*$; the server accepts exactly that (schemathesis found
    `-`, which the old isalnum() check refused)."""
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "BNcR", "auth": auth}}
    if ok:
        assert parse_subscription(body)["auth"] == auth
    else:
        with pytest.raises(Problem):
            parse_subscription(body)
