"""WhatsApp Cloud API and call webhooks against the real server, ClickHouse and a Telegram peer (issue 16).

The test plays Meta: real-shaped, signed `messages` notifications posted as raw bytes.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.support.admin import AUTH
from tests.support.clients import BROWSER_UA
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.meta import (
    REF,
    VERIFY_TOKEN,
    call_notice,
    deliver,
    inbound_env,
    status_update,
    text_message,
    whatsapp_tap,
)
from tests.support.peers import telegram_peer
from tests.support.polling import wait_for

SENDER = "905321234567"
STRANGER = "905339998877"


@pytest.fixture
def telegram():
    peer = telegram_peer().start()
    yield peer
    peer.stop()


@pytest.fixture
def server(clickhouse, store, make_server, telegram):
    return make_server(clickhouse, store, workers=2, **lead_env(telegram=telegram), **inbound_env())


def current(store, lead_id: str) -> dict:
    rows = store.query_dicts(
        f"SELECT source, name, phone, message, gclid, consent, status FROM {store.database}.leads FINAL "
        "WHERE lead_id = %(id)s",
        {"id": uuid.UUID(lead_id)},
    )
    return rows[0]


def versions(store) -> int:
    return store.query(f"SELECT count() FROM {store.database}.leads")[0][0]


def inbound_rows(store) -> list[tuple]:
    return store.query(
        f"SELECT channel, message_key, sender, toString(lead_id), outcome, body FROM {store.database}.inbound "
        "ORDER BY received_at, message_key"
    )


def texts(peer) -> list[str]:
    return [r.json()["text"] for r in peer.delivered()]


def test_a_message_with_the_ref_code_gives_the_tap_lead_its_number_once(server, store, telegram) -> None:
    gclid = f"Cj0KCQ-{uuid.uuid4().hex[:10]}"
    lead_id = whatsapp_tap(server.url, gclid)
    wait_for(lambda: len(telegram.delivered()) == 1, what="the tap's own notification")
    text = f"Merhaba, fiyat bilgisi almak istiyorum. (ref {REF})"
    message = text_message(SENDER, text, "wamid.HBgLOTA1MzIxMjM0NTY3FQIAEhggQTE=")

    assert deliver(server.url, message, signature="sha256=" + "0" * 64).status_code == 401
    missing = deliver(server.url, message, signature=None)
    assert (missing.status_code, missing.json()["error"]) == (401, "bad_signature")
    assert current(store, lead_id)["phone"] == ""
    assert inbound_rows(store) == []

    answer = deliver(server.url, message)
    assert answer.status_code == 200
    assert answer.json() == {"messages": [{"outcome": "attached", "lead_id": lead_id}], "statuses": 0}
    assert current(store, lead_id) == {
        "source": "whatsapp",
        "name": "Mehmet Demir",
        "phone": "+905321234567",
        "message": text,
        "gclid": gclid,
        "consent": 1,
        "status": "NEW",
    }
    changes = store.query(
        f"SELECT note, phone_changed FROM {store.database}.lead_changes WHERE lead_id = %(id)s",
        {"id": uuid.UUID(lead_id)},
    )
    assert changes == [(f"WhatsApp mesajı (ref {REF})", 1)]
    wait_for(lambda: len(telegram.delivered()) == 2, what="the number's notification")
    assert texts(telegram)[1] == "\n".join(
        [
            "🔔 Numara geldi: WhatsApp",
            "👤 Ad: Mehmet Demir",
            "📞 Telefon: 0532 123 45 67",
            "📄 Sayfa: /fiyat (varyant: fiyat)",
            "📍 Şehir: bilinmiyor",
            "🎯 Google tıklaması: var (gclid)",
            f"💬 Mesaj: {text}",
            "💚 WhatsApp: https://wa.me/905321234567",
        ]
    )

    stored = versions(store)
    again = deliver(server.url, message)  # Meta's retry of the same delivery
    assert (again.status_code, again.json()["messages"]) == (200, [{"outcome": "duplicate", "lead_id": ""}])
    time.sleep(1.0)
    assert versions(store) == stored
    assert len(telegram.delivered()) == 2
    assert inbound_rows(store) == [
        ("whatsapp", "wamid.HBgLOTA1MzIxMjM0NTY3FQIAEhggQTE=", SENDER, lead_id, "attached", text)
    ]


def test_unknown_code_new_number_known_number_and_status_updates(server, store, telegram) -> None:
    unknown = deliver(
        server.url, text_message(STRANGER, "Kiralık tüp var mı? (ref ZZZZZ)", "wamid.A1", "Ali")
    )
    assert unknown.status_code == 200
    [handled] = unknown.json()["messages"]
    assert handled["outcome"] == "new_lead"
    lead_id = handled["lead_id"]
    assert current(store, lead_id) == {
        "source": "whatsapp",
        "name": "Ali",
        "phone": "+905339998877",
        "message": "Kiralık tüp var mı? (ref ZZZZZ)",
        "gclid": "",
        "consent": 0,
        "status": "NEW",
    }
    wait_for(lambda: len(telegram.delivered()) == 1, what="new lead notification")
    assert texts(telegram)[0].splitlines()[:3] == [
        "🔔 Yeni talep: WhatsApp",
        "👤 Ad: Ali",
        "📞 Telefon: 0533 999 88 77",
    ]

    stored = versions(store)
    known = deliver(server.url, text_message(STRANGER, "Bir de fiyat?", "wamid.A2", "Ali"))
    assert known.json()["messages"] == [{"outcome": "known_number", "lead_id": lead_id}]
    status = deliver(server.url, status_update(STRANGER, "wamid.OUR-TEMPLATE"))
    assert (status.status_code, status.json()) == (200, {"messages": [], "statuses": 1})
    time.sleep(1.0)
    assert versions(store) == stored
    assert len(telegram.delivered()) == 1
    assert [(r[1], r[4]) for r in inbound_rows(store)] == [
        ("wamid.A1", "new_lead"),
        ("wamid.A2", "known_number"),
    ]


def test_bad_bodies_get_a_clear_4xx(server) -> None:
    bad = deliver(server.url, {"object": "page", "entry": []})
    assert (bad.status_code, bad.json()["field"]) == (400, "object")
    shape = deliver(server.url, {"object": "whatsapp_business_account", "entry": {"changes": []}})
    assert (shape.status_code, shape.json()["field"]) == (400, "entry")


def test_verification_handshake(server) -> None:
    url = f"{server.url}/api/webhooks/whatsapp"
    ok = requests.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert (ok.status_code, ok.headers["Content-Type"], ok.text) == (
        200,
        "text/plain; charset=utf-8",
        "1158201444",
    )
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"})
    assert wrong.status_code == 403
    assert requests.get(url).status_code == 403


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).astimezone().isoformat()


def call_body(started_at: datetime, duration_s: int) -> dict:
    """A call notification as the VoIP provider posts it, from the caller the tests use."""
    return {
        "caller": "+90 532 444 55 66",
        "called": "+902125550123",
        "started_at": _iso(started_at),
        "duration_s": duration_s,
    }


def test_a_call_right_after_a_call_tap_gives_that_lead_the_caller_number(server, store, telegram) -> None:
    gclid = f"Cj0KCQ-{uuid.uuid4().hex[:10]}"
    tap = form_lead(source="call", name="", phone="", message="", gclid=gclid, fill_ms=None)
    assert post_lead(server.url, tap).status_code == 201
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    body = call_body(now, duration_s=95)

    assert call_notice(server.url, body, signature="sha256=" + "f" * 64).status_code == 401
    assert current(store, tap["lead_id"])["phone"] == ""

    answer = call_notice(server.url, body)
    assert (answer.status_code, answer.json()) == (200, {"outcome": "attached", "lead_id": tap["lead_id"]})
    assert current(store, tap["lead_id"])["phone"] == "+905324445566"
    assert current(store, tap["lead_id"])["gclid"] == gclid
    page = requests.get(f"{server.url}/api/admin/leads/{tap['lead_id']}", headers=AUTH, timeout=10).json()
    assert page["history"][-1]["note"].endswith("içindeki tek arama dokunuşu"), "how sure the match is"
    assert call_notice(server.url, body).json()["outcome"] == "duplicate"

    later = {**body, "caller": "05427778899", "started_at": _iso(now + timedelta(minutes=30))}
    fresh = call_notice(server.url, later)
    assert fresh.json()["outcome"] == "new_lead"
    assert current(store, fresh.json()["lead_id"])["phone"] == "+905427778899"
    assert current(store, fresh.json()["lead_id"])["source"] == "call"
    wait_for(lambda: len(telegram.delivered()) == 3, what="tap, number and new call notifications")
    assert [t.splitlines()[0] for t in texts(telegram)] == [
        "🔔 Yeni talep: Telefon araması",
        "🔔 Numara geldi: Telefon araması",
        "🔔 Yeni talep: Telefon araması",
    ]

    bad = call_notice(server.url, {**body, "started_at": "yesterday"})
    assert (bad.status_code, bad.json()["field"]) == (400, "started_at")


def test_guessed_ref_codes_are_limited_and_a_taken_code_never_drops_a_message(server, store) -> None:
    """Issue 27 E: 200 wrong codes from one number: after 5 its codes are no longer looked up, so even the
    right code then attaches nothing to a stranger's lead; the real customer's message is attached; and a
    message to that already-attached code from another number becomes a lead of its own, never dropped."""
    real_code, gclid = "H4T7Q", "Cj0KCQiAguessed"
    tap = whatsapp_tap(server.url, gclid, ref=real_code)
    attacker = "905550001122"
    codes = [f"{a}{b}{c}ZZ" for a in "ABCDE" for b in "FGHJK" for c in "LMNPQRST"][:200]
    assert real_code not in codes
    outcomes = []
    for n, code in enumerate(codes):
        reply = deliver(server.url, text_message(attacker, f"Merhaba (ref {code})", f"wamid.guess-{n}"))
        assert reply.status_code == 200
        outcomes.append(reply.json()["messages"][0]["outcome"])
    assert outcomes[0] == "new_lead" and set(outcomes[1:]) == {"known_number"}, "the guesser is a lead, once"
    hit = deliver(server.url, text_message(attacker, f"Merhaba (ref {real_code})", "wamid.guess-hit"))
    assert hit.json()["messages"][0]["outcome"] == "known_number"
    assert current(store, tap)["phone"] == "", "past the limit the right code attached nothing"

    customer = deliver(
        server.url, text_message(SENDER, f"Fiyat alabilir miyim? (ref {real_code})", "wamid.real")
    )
    assert customer.json()["messages"][0] == {"outcome": "attached", "lead_id": tap}
    assert current(store, tap)["phone"] == "+" + SENDER

    other = deliver(server.url, text_message(STRANGER, f"Ben de soruyorum (ref {real_code})", "wamid.other"))
    second = other.json()["messages"][0]
    assert second["outcome"] == "new_lead" and second["lead_id"] != tap
    assert current(store, second["lead_id"])["phone"] == "+" + STRANGER
    assert current(store, tap)["phone"] == "+" + SENDER, "the first customer keeps the tap's lead"


def test_a_second_whatsapp_tap_in_the_visit_keeps_its_code_and_the_click(server, store) -> None:
    """Seen with issue 27: the visit's second tap is answered with the first tap's lead, but its own code was
    never recorded, so a message quoting it arrived without the ad click. Now the code leads to that lead."""
    visitor, gclid = str(uuid.uuid4()), "Cj0KCQiSecondTap"
    taps = []
    for ref in ("M3N4P", "Q5R6S"):
        body = form_lead(source="whatsapp", name="", phone="", message="", ref=ref, gclid=gclid,
                         visitor_id=visitor, url=f"https://eslamed.example/fiyat?gclid={gclid}", fill_ms=None)  # fmt: skip
        reply = post_lead(server.url, body)
        assert reply.status_code in (200, 201), reply.text
        taps.append(reply.json()["lead_id"])
    assert taps[1] == taps[0], "the second tap of the visit is the first one's lead"
    answer = deliver(server.url, text_message(SENDER, "Merhaba (ref Q5R6S)", "wamid.second-tap"))
    assert answer.json()["messages"][0] == {"outcome": "attached", "lead_id": taps[0]}
    assert current(store, taps[0])["gclid"] == gclid and current(store, taps[0])["phone"] == "+" + SENDER


def test_a_fake_call_tap_does_not_take_the_credit_for_the_next_real_call(server, store) -> None:
    """Issue 27 C, the hijack replayed: a real visitor taps "call" from our page; an attacker fakes a call tap
    carrying their own gclid. Cross-site the fake is refused outright; sent without any Origin it is a second
    candidate, and then the real call is attached to neither: it becomes a call lead of its own whose page
    lists both taps for the owner to choose."""
    real = form_lead(source="call", name="", phone="", message="", gclid="Cj0KReal", fill_ms=None)
    assert post_lead(server.url, real).status_code == 201
    fake = form_lead(source="call", name="", phone="", message="", gclid="Cj0KAttacker", fill_ms=None)
    cross = post_lead(
        server.url, fake, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    headless = requests.post(
        f"{server.url}/api/lead", json=fake, headers={"User-Agent": BROWSER_UA}, timeout=10
    )
    assert headless.status_code == 201

    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    body = call_body(now, duration_s=60)
    answer = call_notice(server.url, body).json()
    assert answer["outcome"] == "ambiguous_call_taps"
    assert answer["lead_id"] not in (real["lead_id"], fake["lead_id"])
    assert current(store, real["lead_id"])["phone"] == "" and current(store, fake["lead_id"])["phone"] == ""
    assert current(store, answer["lead_id"])["phone"] == "+905324445566"
    page = requests.get(f"{server.url}/api/admin/leads/{answer['lead_id']}", headers=AUTH, timeout=10).json()
    notes = " ".join(change["note"] for change in page["history"])
    assert real["lead_id"] in notes and fake["lead_id"] in notes and "doğru talebi siz seçin" in notes
