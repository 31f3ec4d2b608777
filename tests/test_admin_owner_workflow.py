"""The owner's everyday fixes through the admin API (issue 13 item 8): notes, undoing a status,
fixing a wrong sale before upload, phones readable as 0532 123 45 67. Leads come in through the
real POST /api/lead of the same app."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from tests.support.admin import AUTH, admin_app
from tests.support.clients import BROWSER_UA
from tests.support.leads import SITE, form_lead


@pytest.fixture
def client(clickhouse, store, tmp_path):
    return admin_app(clickhouse, store, tmp_path, LEAD_RATE_LIMIT="1000/minute").test_client()


def new_lead(client, **fields: object) -> str:
    body = form_lead(**fields)
    reply = client.post("/api/lead", json=body, headers={"User-Agent": BROWSER_UA, "Origin": SITE})
    assert reply.status_code == 201, reply.get_json()
    return body["lead_id"]


def test_note_keeps_the_status_and_lands_in_the_history(client) -> None:
    lead_id = new_lead(client, phone="0532 123 45 67")
    url = f"/api/admin/leads/{lead_id}"
    reply = client.post(f"{url}/note", json={"note": "Yarın 10'da tekrar ara"}, headers=AUTH)
    assert reply.status_code == 201
    assert (reply.get_json()["lead"]["status"], reply.get_json()["lead"]["note"]) == (
        "NEW",
        "Yarın 10'da tekrar ara",
    )
    empty = client.post(f"{url}/note", json={"note": "  "}, headers=AUTH)
    assert (empty.status_code, empty.get_json()["field"]) == (400, "note")
    detail = client.get(url, headers=AUTH).get_json()
    assert [(h["status"], h["note"]) for h in detail["history"]] == [
        ("NEW", ""),
        ("NEW", "Yarın 10'da tekrar ara"),
    ]
    assert (detail["lead"]["phone"], detail["lead"]["phone_display"]) == ("+905321234567", "0532 123 45 67")
    listed = client.get("/api/admin/leads", headers=AUTH).get_json()["leads"]
    assert [(r["phone"], r["phone_display"]) for r in listed] == [("+905321234567", "0532 123 45 67")]


def test_a_quick_form_is_listed_as_suspicious_not_hidden(client) -> None:
    lead_id = new_lead(client, fill_ms=300)
    listed = client.get("/api/admin/leads", headers=AUTH).get_json()["leads"]
    assert [(r["id"], r["status"], r["spam_reason"]) for r in listed] == [(lead_id, "NEW", "too_fast")]


def test_a_status_can_be_undone_and_a_wrong_spam_cleared(client) -> None:
    lead_id = new_lead(client)
    url = f"/api/admin/leads/{lead_id}/status"
    assert client.post(url, json={"status": "SPAM"}, headers=AUTH).status_code == 200
    assert client.get("/api/admin/leads", headers=AUTH).get_json()["leads"] == []
    undone = client.post(url, json={"status": "NEW", "note": "Geri alındı"}, headers=AUTH)
    assert (undone.status_code, undone.get_json()["lead"]["status"]) == (200, "NEW")
    assert [r["id"] for r in client.get("/api/admin/leads", headers=AUTH).get_json()["leads"]] == [lead_id]


def test_a_pending_sale_is_fixed_an_uploaded_one_needs_a_correction(client, store) -> None:
    lead_id = new_lead(client, gclid="G-fix")
    sale = {"revenue": "150000", "deal_type": "satis", "closed_at": "2026-11-20"}
    created = client.post(f"/api/admin/leads/{lead_id}/convert", json=sale, headers=AUTH).get_json()
    url = f"/api/admin/conversions/{created['conversion_id']}/fix"

    bad = client.post(url, json={"revenue": "on beş"}, headers=AUTH)
    assert (bad.status_code, bad.get_json()["field"]) == (400, "revenue")
    nothing = client.post(url, json={}, headers=AUTH)
    assert nothing.status_code == 400
    fixed = client.post(url, json={"revenue": "15000.00", "closed_at": "2026-11-21"}, headers=AUTH)
    assert fixed.status_code == 200, fixed.get_json()
    sales = client.get(f"/api/admin/leads/{lead_id}", headers=AUTH).get_json()["conversions"]
    assert [(Decimal(s["revenue"]), s["state"], s["deal_seq"]) for s in sales] == [
        (Decimal("15000.00"), "PENDING", 1)
    ]
    history = client.get(f"/api/admin/leads/{lead_id}", headers=AUTH).get_json()["history"]
    assert history[-1]["note"].startswith("Satış düzeltildi: 150000.00 → 15000.00 TRY, 2026-11-2")

    # the uploader's answer is a new version of the row (tests of the uploader produce it for real)
    row = store.query_dicts(
        f"SELECT * FROM {store.database}.conversions ORDER BY version DESC LIMIT 1",
    )[0]
    store.insert_rows("conversions", [{**row, "version": time.time_ns(), "state": "UPLOADED"}])
    late = client.post(url, json={"revenue": "16000"}, headers=AUTH)
    assert late.status_code == 409 and late.get_json()["correction_needed"] is True
    missing = client.post(
        "/api/admin/conversions/00000000-0000-4000-8000-000000000000/fix", json=sale, headers=AUTH
    )
    assert missing.status_code == 404
    assert client.post("/api/admin/conversions/nope/fix", json=sale, headers=AUTH).status_code == 400
