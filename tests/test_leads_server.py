"""POST /api/lead against the real server (gunicorn, 2 gevent workers) and a real ClickHouse.

Telegram, the WhatsApp Cloud API and a Web Push service are local HTTP peers that record
exactly what they received; the push payload is decrypted here with the device's own keys.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
from prometheus_client.mmap_dict import MmapedDict

from eslamed.core.store import Store, StoreUnavailable
from tests.conftest import migrated_store
from tests.support.clients import BROWSER_UA, dumps, new_event, post_raw
from tests.support.leads import SITE, form_lead, lead_env, post_lead
from tests.support.peers import Peer, PushDevice, telegram_peer, vapid_private_key, whatsapp_peer
from tests.support.polling import wait_for

ADMIN = {"X-Admin-Secret": "test-admin-secret-0123456789abcdef"}


def lead_rows(store: Store, *lead_ids: str) -> dict[str, dict]:
    rows = store.query_dicts(
        f"SELECT * FROM {store.database}.leads FINAL WHERE lead_id IN %(ids)s", {"ids": tuple(lead_ids)}
    )
    return {str(r["lead_id"]): r for r in rows}


def count_leads(store: Store) -> tuple[int, int]:
    try:
        return store.query(f"SELECT count(), uniqExact(lead_id) FROM {store.database}.leads")[0]
    except StoreUnavailable:
        return (-1, -1)


def delivery_states(store: Store) -> dict[tuple[str, str], tuple[str, int]]:
    try:
        rows = store.query(
            f"SELECT toString(lead_id), channel, argMax(state, version), argMax(attempts, version) "
            f"FROM {store.database}.notifications GROUP BY lead_id, channel"
        )
    except StoreUnavailable:
        return {}
    return {(lead_id, channel): (state, attempts) for lead_id, channel, state, attempts in rows}


def test_form_lead_is_stored_attributed_and_sent_to_every_channel(clickhouse, store, make_server) -> None:
    telegram, whatsapp, push = telegram_peer().start(), whatsapp_peer().start(), Peer(201, b"").start()
    device = PushDevice(f"{push.url}/wpush/v2/device-1")
    env = lead_env(telegram, whatsapp, vapid_private_key())
    server = make_server(clickhouse, store, PUBLIC_BASE_URL="https://eslamed.example", **env)

    key = requests.get(f"{server.url}/api/admin/push/key", headers=ADMIN).json()["public_key"]
    assert len(key) == 87 and key.startswith("B"), "uncompressed P-256 point, base64url"
    subscribe = f"{server.url}/api/admin/push/subscribe"
    assert (
        requests.post(subscribe, json=device.subscription, headers={"X-Admin-Secret": "nope"}).status_code
        == 401
    )
    assert requests.post(subscribe, json=device.subscription, headers=ADMIN).status_code == 201

    visitor = str(uuid.uuid4())
    landing = "https://eslamed.example/acil-oksijen?gclid=EAIaIQ-history"
    pageview = new_event(visitor_id=visitor, session_id="s-1", gclid="EAIaIQ-history", url=landing)
    assert post_raw(server.url, "/api/track", dumps(pageview))[0] == 202
    assert wait_for(lambda: store.query(f"SELECT count() FROM {store.database}.events")[0][0] == 1)

    direct = form_lead(gclid="EAIaIQ-direct")
    reply = post_lead(server.url, direct)
    assert (reply.status_code, reply.json()) == (201, {"lead_id": direct["lead_id"], "status": "NEW"})
    assert reply.headers["Access-Control-Allow-Origin"] == SITE
    returning = form_lead(visitor_id=visitor, name="Mehmet Kaya", phone="0555 444 33 22", url=landing)
    assert post_lead(server.url, returning).status_code == 201

    rows = lead_rows(store, direct["lead_id"], returning["lead_id"])
    first, second = rows[direct["lead_id"]], rows[returning["lead_id"]]
    assert (first["phone"], first["status"], first["gclid"], first["click_id_origin"]) == (
        "+905321234567",
        "NEW",
        "EAIaIQ-direct",
        "direct",
    )
    assert (first["device"], first["first_source"], first["consent"]) == ("mobile", "paid", 1)
    assert (second["gclid"], second["click_id_origin"], second["landing_page"]) == (
        "EAIaIQ-history",
        "visitor_history",
        landing,
    )
    assert second["phone"] == "+905554443322"

    assert wait_for(lambda: len(telegram.delivered()) == 2 and len(whatsapp.delivered()) == 2)
    assert wait_for(lambda: len(push.delivered()) == 2)
    time.sleep(1.0)  # a stray second notification would arrive by now

    sent = {r.json()["text"].split("Telefon: ")[1].split("\n")[0]: r for r in telegram.delivered()}
    assert set(sent) == {"0532 123 45 67", "0555 444 33 22"}, "the owner reads the national form"
    message = sent["0532 123 45 67"]
    assert message.path == "/bot123:test-token/sendMessage"
    assert message.json()["chat_id"] == "-1001" and "parse_mode" not in message.json()
    assert (
        "Ad: Ayşe Yılmaz" in message.json()["text"]
        and "Google tıklaması: var (gclid)" in message.json()["text"]
    )
    link = f"🔗 Talep: https://eslamed.example/admin/#/lead/{direct['lead_id']}"
    assert message.json()["text"].splitlines()[-1] == link

    template = next(r for r in whatsapp.delivered() if "0532 123 45 67" in r.body.decode())
    assert template.path == "/v21.0/1098765/messages"
    assert template.headers["authorization"] == "Bearer wa-test-token"
    assert template.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "905551112233",
        "type": "template",
        "template": {
            "name": "yeni_talep",
            "language": {"code": "tr"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ayşe Yılmaz"},
                        {"type": "text", "text": "0532 123 45 67"},
                        {"type": "text", "text": "Form"},
                        {"type": "text", "text": "/oksijen-konsantratoru (varyant: acil)"},
                        {"type": "text", "text": "bilinmiyor"},
                        {"type": "text", "text": "var (gclid)"},
                    ],
                }
            ],
        },
    }

    pushed = [device.decrypt(r.body) for r in push.delivered()]
    assert {p["lead_id"] for p in pushed} == {direct["lead_id"], returning["lead_id"]}
    assert any(p["tel"] == "tel:+905321234567" and "Ayşe Yılmaz" in p["title"] for p in pushed)
    first_push = push.delivered()[0]
    assert first_push.path == "/wpush/v2/device-1"
    assert first_push.headers["content-encoding"] == "aes128gcm"
    assert first_push.headers["authorization"].startswith("vapid t=")
    assert first_push.headers["authorization"].endswith(f"k={key}"), "signed with the key the PWA was given"

    states = delivery_states(store)
    for lead in (direct, returning):
        for channel in ("telegram", "whatsapp", "webpush"):
            assert states[(lead["lead_id"], channel)] == ("SENT", 1)
    assert "+905321234567" not in server.log(), "phone numbers are masked in logs"


def test_same_lead_id_three_times_is_one_row_and_one_notification_per_channel(
    clickhouse, store, make_server
) -> None:
    telegram, whatsapp = telegram_peer().start(), whatsapp_peer().start()
    server = make_server(clickhouse, store, **lead_env(telegram, whatsapp))
    lead = form_lead()
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda _: post_lead(server.url, lead), range(3)))
    assert sorted(r.status_code for r in replies) == [200, 200, 201]
    again = post_lead(server.url, lead)
    assert again.json() == {"lead_id": lead["lead_id"], "status": "NEW", "duplicate": True}
    assert wait_for(lambda: len(telegram.delivered()) >= 1 and len(whatsapp.delivered()) >= 1)
    time.sleep(1.5)
    assert count_leads(store) == (1, 1)
    assert len(telegram.requests) == 1 and len(whatsapp.requests) == 1


def test_taps_make_one_lead_per_visitor_channel_and_visit(clickhouse, store, make_server) -> None:
    """A second call tap of the same visitor in the same visit (another page) answers 200 with the
    first tap's lead and notifies nobody; WhatsApp, another visitor, or the same visitor after a
    30-minute pause each make a lead of their own."""
    telegram, whatsapp = telegram_peer().start(), whatsapp_peer().start()
    server = make_server(clickhouse, store, **lead_env(telegram, whatsapp))

    def tap(visitor: str, source: str = "call") -> requests.Response:
        return post_lead(
            server.url,
            {"lead_id": str(uuid.uuid4()), "source": source, "url": f"{SITE}/acil", "visitor_id": visitor},
        )

    visitor, other = str(uuid.uuid4()), str(uuid.uuid4())
    first = tap(visitor)
    assert first.status_code == 201, first.text
    lead_id = first.json()["lead_id"]
    again = tap(visitor)
    assert (again.status_code, again.json()) == (
        200,
        {"lead_id": lead_id, "status": "NEW", "duplicate": True},
    )
    assert tap(visitor, "whatsapp").status_code == 201
    assert tap(other).status_code == 201
    anonymous = [tap(""), tap("")]
    assert [r.status_code for r in anonymous] == [201, 201], "without consent each page view stands alone"

    # The same visitor back after 40 minutes of nothing: a new visit, a new lead.
    old = lead_rows(store, lead_id)[lead_id]
    earlier = old["created_at"] - timedelta(minutes=40)
    store.insert_rows("leads", [{**old, "version": old["version"] + 1, "created_at": earlier}])
    later = tap(visitor)
    assert later.status_code == 201 and later.json()["lead_id"] != lead_id
    assert wait_for(lambda: len(telegram.delivered()) >= 6)
    time.sleep(1.5)
    assert len(telegram.requests) == 6, "the repeated tap notified nobody"
    assert count_leads(store)[1] == 6


def test_clickhouse_outage_journals_leads_and_replays_each_exactly_once(
    own_clickhouse, make_server, tmp_path: Path
) -> None:
    store = migrated_store(own_clickhouse)
    telegram = telegram_peer().start()
    server = make_server(own_clickhouse, store, **lead_env(telegram))
    own_clickhouse.stop()

    leads = [form_lead(phone=f"0532 123 45 6{i}") for i in range(3)]
    for lead in leads:
        reply = post_lead(server.url, lead)
        assert (reply.status_code, reply.json()) == (202, {"lead_id": lead["lead_id"], "queued": True})
    journal = (tmp_path / "data" / "journal").glob("*.jsonl")
    journaled = b"".join(p.read_bytes() for p in journal)
    assert all(lead["lead_id"].encode() in journaled for lead in leads)
    assert post_lead(server.url, leads[0]).json() == {
        "lead_id": leads[0]["lead_id"],
        "status": "NEW",
        "duplicate": True,
    }

    assert wait_for(lambda: len(telegram.delivered()) == 3), "the owner hears of leads during the outage"
    assert count_leads(store) == (-1, -1)

    own_clickhouse.start()
    assert wait_for(lambda: count_leads(store) == (3, 3), timeout_s=40)
    assert wait_for(lambda: not list((tmp_path / "data" / "journal").glob("*.jsonl")))
    time.sleep(2.5)  # more replay cycles must not add anything
    assert count_leads(store) == (3, 3)
    rows = lead_rows(store, *(lead["lead_id"] for lead in leads))
    assert sorted(r["phone"] for r in rows.values()) == ["+905321234560", "+905321234561", "+905321234562"]
    assert {r["first_source"] for r in rows.values()} == {"direct"}, (
        "journaled leads are attributed on replay"
    )
    assert wait_for(lambda: sum(s == ("SENT", 1) for s in delivery_states(store).values()) == 3, timeout_s=30)
    assert len(telegram.requests) == 3
    store.close()


def test_telegram_failing_across_a_server_restart_delivers_once(
    clickhouse, store, make_server, tmp_path: Path
) -> None:
    telegram = telegram_peer().start()
    telegram.failing = True
    server = make_server(clickhouse, store, **lead_env(telegram))
    lead = form_lead()
    assert post_lead(server.url, lead).status_code == 201
    assert wait_for(lambda: len(telegram.requests) >= 2), "first attempt and a retry both got 500"
    server.stop()
    assert telegram.delivered() == []
    assert list((tmp_path / "data" / "outbox").glob("*.json")), "the message waits on disk"

    telegram.failing = False
    server.start()
    assert wait_for(lambda: len(telegram.delivered()) == 1, timeout_s=30)
    time.sleep(1.5)
    assert len(telegram.delivered()) == 1
    assert lead["lead_id"] not in str(
        telegram.delivered()[0].json()
    )  # the text, not an id, reaches the owner
    assert "Telefon: 0532 123 45 67" in telegram.delivered()[0].json()["text"]
    state, attempts = delivery_states(store)[(lead["lead_id"], "telegram")]
    assert state == "SENT" and attempts == len(telegram.requests) >= 3
    assert not list((tmp_path / "data" / "outbox").glob("*.json"))
    assert "+90532***4567" in server.log() and "+905321234567" not in server.log()


def lead_requests_per_worker(metrics_dir: Path) -> dict[int, float]:
    """Lead replies counted by each worker in its own prometheus file (multiprocess mode)."""
    served: dict[int, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, sample, labels, _ = json.loads(key)
            if sample == "eslamed_leads_total" or labels.get("endpoint") == "lead":
                served[pid] = served.get(pid, 0) + value
    return served


def test_lead_limit_holds_across_two_workers(clickhouse, store, make_server, tmp_path: Path) -> None:
    server = make_server(clickhouse, store, workers=2, **{**lead_env(), "LEAD_RATE_LIMIT": "5/minute"})
    workers = set(server.worker_pids())
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: post_lead(server.url, form_lead()), range(20)))
    codes = [r.status_code for r in replies]
    assert (codes.count(201), codes.count(429)) == (5, 15)
    limited = next(r for r in replies if r.status_code == 429)
    assert limited.json()["error"] == "rate_limited" and limited.json()["message_tr"]
    assert limited.headers["Retry-After"] == "60"
    assert limited.headers["Access-Control-Allow-Origin"] == SITE
    assert count_leads(store) == (5, 5)
    metrics_dir = tmp_path / "spool" / "metrics"
    served = lead_requests_per_worker(metrics_dir)
    assert sum(served.values()) == 20
    for _ in range(15):  # the kernel may have handed every connection to one worker: post until both answered
        if workers <= {pid for pid, n in served.items() if n > 0}:
            break
        time.sleep(0.2)
        with ThreadPoolExecutor(8) as pool:
            more = [r.status_code for r in pool.map(lambda _: post_lead(server.url, form_lead()), range(5))]
        assert more == [429] * 5
        served = lead_requests_per_worker(metrics_dir)
    assert workers <= {pid for pid, n in served.items() if n > 0}, f"both workers answered: {served}"
    assert count_leads(store) == (5, 5), "the limit was shared, not 5 per worker"


def _post(url: str, body: bytes, content_type: str) -> requests.Response:
    headers = {"User-Agent": BROWSER_UA, "Origin": SITE, "Content-Type": content_type}
    return requests.post(f"{url}/api/lead", data=body, headers=headers, timeout=10)


def test_bad_input_gets_the_documented_4xx_and_the_server_keeps_serving(
    clickhouse, store, make_server
) -> None:
    telegram = telegram_peer().start()
    server = make_server(clickhouse, store, **lead_env(telegram))
    json_type = "application/json"
    cases = [
        ("invalid phone", dumps(form_lead(phone="0532 12")), json_type, 400, "invalid_phone", "phone"),
        ("form without phone", dumps(form_lead(phone="")), json_type, 400, "phone_required", "phone"),
        ("10 KB name", dumps(form_lead(name="A" * 10_240)), json_type, 400, "too_long", "name"),
        ("no lead_id", dumps(form_lead(lead_id=None)), json_type, 400, "invalid_lead_id", "lead_id"),
        ("malformed JSON", b'{"lead_id": ', json_type, 400, "malformed", ""),
        ("wrong content type", b"<lead/>", "application/xml", 415, "unsupported_content_type", ""),
        ("1 MB body", b'{"name": "' + b"x" * (1024 * 1024) + b'"}', json_type, 413, "too_large", ""),
    ]
    for name, body, content_type, status, code, field in cases:
        reply = _post(server.url, body, content_type)
        assert reply.status_code == status, name
        error = reply.json()
        assert (error["error"], error["field"]) == (code, field), name
        assert error["message_tr"] and error["message_en"], name
        assert reply.headers["Access-Control-Allow-Origin"] == SITE, name
    assert count_leads(store) == (0, 0)

    script = form_lead(message="<script>alert('x')</script> <img src=x onerror=alert(1)>")
    assert post_lead(server.url, script).status_code == 201
    form = f"lead_id={uuid.uuid4()}&phone=0532+765+43+21&name=Zeynep&source=form&fill_ms=6000"
    assert _post(server.url, form.encode(), "application/x-www-form-urlencoded").status_code == 201
    tap = form_lead(source="whatsapp", phone=None, name="", fill_ms=None)
    assert post_lead(server.url, tap).status_code == 201
    honeypot = form_lead(website="http://seo.example")
    too_fast = form_lead(fill_ms=250)
    for spam in (honeypot, too_fast):
        reply = post_lead(server.url, spam)
        assert (reply.status_code, reply.json()["status"]) == (201, "NEW")

    rows = lead_rows(store, script["lead_id"], tap["lead_id"], honeypot["lead_id"], too_fast["lead_id"])
    assert rows[script["lead_id"]]["message"] == script["message"]
    assert (rows[tap["lead_id"]]["phone"], rows[tap["lead_id"]]["source"]) == ("", "whatsapp")
    assert (rows[honeypot["lead_id"]]["status"], rows[honeypot["lead_id"]]["spam_reason"]) == (
        "SPAM",
        "honeypot",
    )
    assert (rows[too_fast["lead_id"]]["status"], rows[too_fast["lead_id"]]["spam_reason"]) == (
        "NEW",
        "too_fast",
    ), "a fast form may be a real person: kept NEW, the reason recorded"
    assert count_leads(store) == (5, 5)

    assert wait_for(lambda: len(telegram.delivered()) == 4)
    time.sleep(1.0)
    texts = [r.json()["text"] for r in telegram.delivered()]
    assert len(texts) == 4, "the honeypot lead is never notified"
    assert sum("⚠️ Şüpheli: form çok hızlı dolduruldu" in t for t in texts) == 1, "the fast one is marked"
    assert any(script["message"] in t for t in texts), "script tags reach the owner as plain text"
    assert all("parse_mode" not in r.json() for r in telegram.delivered())
    assert any("numara yok" in t for t in texts)

    preflight = requests.options(
        f"{server.url}/api/lead",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST", "User-Agent": BROWSER_UA},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    foreign = requests.options(f"{server.url}/api/lead", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert requests.get(f"{server.url}/healthz").status_code == 200
