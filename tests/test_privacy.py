"""Issue 26, KVKK rights: one person made through the real path (Chromium with the real tracking.js and
site.js, the signed WhatsApp webhook, the owner's note, a sale uploaded to the Google peer) is exported,
then erased; afterwards no table and no file under DATA_DIR holds their phone in any spelling, their name
or their visitor id, the stats' totals are unchanged, another person is untouched, and a backup taken
before the erasure, restored afterwards, does not bring them back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import requests
from playwright.sync_api import expect

from eslamed.backup.crypto import new_key_pair
from eslamed.core import schema
from eslamed.core.clock import ISTANBUL
from eslamed.core.store import Store
from eslamed.devtools.fake_clock import FakeClock
from eslamed.privacy.retention import months_before
from tests.support.admin import AUTH, SECRET, confirm_sale
from tests.support.browser import MOBILE_UA, PHONE, chromium
from tests.support.clients import new_event, post_raw
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.meta import deliver, inbound_env, text_message
from tests.support.paths import ARTIFACTS
from tests.support.peers import telegram_peer
from tests.support.polling import wait_for
from tests.support.server import base_env, run_cli
from tests.support.site import build_into

NAME = "Zerrin Kocabaşoğlu"
NATIONAL = "0532 987 65 43"
E164 = "+905329876543"
# Every way the number may be written, as a person would search for it.
SPELLINGS = (E164, "905329876543", NATIONAL, "05329876543", "5329876543", "+90 532 987 65 43")
OTHER_NAME, OTHER_PHONE = "Kemal Sunal", "0533 111 22 33"


@pytest.fixture
def telegram() -> Iterator:
    peer = telegram_peer().start()
    yield peer
    peer.stop()


def dump(store: Store, database: str) -> str:
    """Every row of every table of the database, as text."""
    out = []
    for table in schema.TABLES:
        out += [repr(row) for row in store.query(f"SELECT * FROM {database}.{table}")]
    return "\n".join(out)


def found_in(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n in text]


def files_holding(directory: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{path.relative_to(directory)}: {n}" for n in needles if n.encode() in data]
    return hits


def totals(server) -> dict:
    body = requests.get(f"{server.url}/api/admin/stats", headers=AUTH, timeout=30).json()["totals"]
    return {k: body[k] for k in ("leads", "sales", "revenue")}


@pytest.mark.browser
def test_a_person_is_exported_then_erased_everywhere_and_stays_erased_after_a_restore(
    clickhouse, store, make_server, tmp_path, google, telegram
) -> None:
    peer, env = google
    built = build_into(tmp_path)
    server_env = {
        **env,
        **inbound_env(),
        "SITE_DIST": str(built.out),
        "LEAD_RATE_LIMIT": "1000/minute",
        "GOOGLE_ADS_UPLOAD_INTERVAL_S": "0.3",
        "TELEGRAM_API_BASE": telegram.url,
        "TELEGRAM_BOT_TOKEN": "123:test-token",
        "TELEGRAM_CHAT_ID": "-1001",
    }
    server = make_server(clickhouse, store, workers=1, **server_env)
    gclid = f"Cj0KCQiA-{uuid.uuid4().hex[:12]}"

    # Page views with consent, then the form with a message that holds the number, in Chromium.
    with chromium() as browser:
        page = browser.new_context(user_agent=MOBILE_UA, viewport=PHONE, locale="tr-TR").new_page()
        page.goto(f"{server.url}/fiyat?gclid={gclid}", wait_until="load")
        page.get_by_role("button", name="Kabul").click()
        page.goto(f"{server.url}/acil", wait_until="load")
        page.get_by_label("Adınız").fill(NAME)
        page.get_by_label("Telefon numaranız").fill(NATIONAL)
        page.get_by_label("Mesajınız (isteğe bağlı)").fill(f"Annem için tüp lazım, beni {NATIONAL} arayın")
        page.locator("#hemen-ara input[name=consent]").check()
        page.get_by_role("button", name="Hemen Ara", exact=True).click()
        page.locator("[data-lead-status]").filter(has_text="Teşekkürler").wait_for()
    db = store.database
    [lead] = wait_for(
        lambda: store.query_dicts(f"SELECT * FROM {db}.leads WHERE gclid = %(g)s", {"g": gclid}),
        what="the form lead",
    )
    lead_id, visitor = str(lead["lead_id"]), lead["visitor_id"]
    assert lead["phone"] == E164 and visitor
    wait_for(
        lambda: (
            store.query(f"SELECT count() FROM {db}.events WHERE visitor_id = %(v)s", {"v": visitor})[0][0]
            >= 2
        ),
        what="the visitor's page views",
    )
    # A WhatsApp message through the signed webhook, the owner's note, a sale uploaded to Google.
    said = f"Merhaba, ben {NAME}; numaram {NATIONAL}"
    assert deliver(server.url, text_message("905329876543", said, f"wamid.{uuid.uuid4().hex}", NAME)).ok
    note = requests.post(
        f"{server.url}/api/admin/leads/{lead_id}/note",
        json={"note": f"{NAME} ile konuşuldu, {NATIONAL}"},
        headers=AUTH,
        timeout=10,
    )
    assert note.status_code in (200, 201), note.text
    confirm_sale(server.url, lead_id, "15000")
    wait_for(lambda: peer.requests("UploadClickConversions"), timeout_s=30, what="the upload")
    wait_for(
        lambda: store.query(
            f"SELECT count() FROM {db}.conversions WHERE lead_id = %(id)s AND state = 'UPLOADED'",
            {"id": uuid.UUID(lead_id)},
        )[0][0],
        what="the sale UPLOADED",
    )
    other = form_lead(name=OTHER_NAME, phone=OTHER_PHONE, message="Fiyat bilgisi rica ederim")
    assert post_lead(server.url, other).status_code == 201
    other_query = f"SELECT name, phone, message, visitor_id FROM {db}.leads WHERE lead_id = %(id)s"
    other_before = store.query(other_query, {"id": uuid.UUID(other["lead_id"])})
    before = totals(server)

    cli_env = {**base_env(clickhouse.url, db, tmp_path), **env, "PATH": "/usr/bin:/bin"}
    # A backup taken before the erasure.
    identity, recipient = new_key_pair()
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(identity + "\n")
    backups = tmp_path / "backups"
    backup = run_cli({**cli_env, "BACKUP_TARGET": str(backups), "BACKUP_RECIPIENT": recipient}, "backup")
    assert backup.returncode == 0, backup.stdout + backup.stderr

    exported = run_cli(cli_env, "privacy", "export", "--phone", NATIONAL)
    assert exported.returncode == 0, exported.stderr
    held = json.loads(exported.stdout)
    assert held["person"] == {"phone": E164, "names": [NAME], "visitor_ids": [visitor]}
    assert {row["lead_id"] for row in held["leads"]} >= {lead_id} and len(held["leads"]) >= 3, "every version"
    assert any(NATIONAL in row["message"] for row in held["leads"])
    assert any(change["note"] == f"{NAME} ile konuşuldu, {NATIONAL}" for change in held["lead_changes"])
    assert any(s["state"] == "UPLOADED" and float(s["revenue"]) == 15000 for s in held["sales"])
    assert [m["body"] for m in held["inbound"]] == [said] and held["inbound"][0]["sender"] == "905329876543"
    assert {e["type"] for e in held["events"]} >= {"pageview", "consent"}
    assert len({e["path"] for e in held["events"] if e["type"] == "pageview"}) == 2
    assert held["notifications"] and held["google"], "the Telegram notification and Google's hashed copy"

    erased = run_cli(cli_env, "privacy", "erase", "--phone", E164, "--yes", timeout_s=300)
    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert (
        "1 sale(s) were sent to Google Ads: Google keeps only the click id and the SHA-256" in erased.stdout
    )

    needles = [*SPELLINGS, NAME, visitor]
    assert found_in(dump(store, db), needles) == [], "no table holds the person"
    assert files_holding(tmp_path / "data", needles) == [], "no file under DATA_DIR holds the person"
    assert totals(server) == before, "past stats do not change"
    assert store.query(other_query, {"id": uuid.UUID(other["lead_id"])}) == other_before, "another person"
    [kept] = store.query_dicts(
        f"SELECT status, source, gclid, name, phone FROM {db}.leads WHERE lead_id = %(id)s "
        "ORDER BY version DESC LIMIT 1",
        {"id": uuid.UUID(lead_id)},
    )
    assert kept == {"status": "CONVERTED", "source": "form", "gclid": gclid, "name": "", "phone": ""}
    again = run_cli(cli_env, "privacy", "export", "--phone", NATIONAL)
    assert again.returncode == 4 and "nothing is held" in again.stderr

    # The backup taken before, restored into an empty database: the ledger erases the person again.
    restored_db = f"restored_{uuid.uuid4().hex[:8]}"
    restore_env = {**base_env(clickhouse.url, restored_db, tmp_path), "PATH": "/usr/bin:/bin"}
    restored = run_cli(
        restore_env,
        "restore",
        "latest",
        "--target",
        str(backups),
        "--identity",
        str(identity_file),
        timeout_s=300,
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "erasure ledger: 1 erasure(s) applied again" in restored.stdout
    assert found_in(dump(store, restored_db), needles) == []
    assert (
        store.query(other_query.replace(db, restored_db), {"id": uuid.UUID(other["lead_id"])}) == other_before
    )

    log = run_cli(cli_env, "privacy", "log")
    assert log.returncode == 0
    assert "export" in log.stdout and "erase" in log.stdout and "command line" in log.stdout
    assert found_in(log.stdout, needles) == [], "the access log holds no personal data"


def test_months_before_counts_whole_months_across_years() -> None:
    assert months_before(datetime(2026, 12, 4, 9), 25) == date(2024, 11, 1)
    assert months_before(datetime(2026, 1, 31), 1) == date(2025, 12, 1)
    assert months_before(datetime(2026, 3, 1), 36) == date(2023, 3, 1)


def test_retention_drops_old_event_months_and_anonymises_old_leads_keeping_the_rest(
    clickhouse, store, make_server, tmp_path
) -> None:
    """Data made through the endpoints on a server whose clock was three months back, and today; then the
    retention run with both limits at two months."""
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=92)
    clock = FakeClock(tmp_path / "clock")
    server = make_server(clickhouse, store, workers=1, **lead_env(), **clock.env(old))
    people = {}
    for when, name, phone in (
        (old, "Eski Müşteri", "0532 000 11 22"),
        (now, "Yeni Müşteri", "0533 000 11 22"),
    ):
        clock.set(when)
        visitor = str(uuid.uuid4())
        for kind in ("pageview", "call_click"):
            status, _, _ = post_raw(
                server.url, "/api/track", orjson.dumps(new_event(kind, visitor_id=visitor))
            )
            assert status == 202
        lead = form_lead(name=name, phone=phone, visitor_id=visitor)
        assert post_lead(server.url, lead).status_code == 201
        people[name] = lead["lead_id"]
    db = store.database
    wait_for(lambda: store.query(f"SELECT count() FROM {db}.events")[0][0] == 4, what="4 events stored")

    def stats(first: date, last: date) -> dict:
        params = {"from": first.isoformat(), "to": last.isoformat()}
        body = requests.get(f"{server.url}/api/admin/stats", params=params, headers=AUTH, timeout=30).json()
        return {k: body["totals"][k] for k in ("visits", "leads", "sales", "revenue")}

    today = now.astimezone(ISTANBUL).date()
    recent, past = stats(today - timedelta(days=1), today), stats(old.date() - timedelta(days=1), old.date())
    assert recent["visits"] == 1 and past["visits"] == 1 and recent["leads"] == past["leads"] == 1

    env = {
        **base_env(clickhouse.url, db, tmp_path),
        "RETENTION_EVENTS_MONTHS": "2",
        "RETENTION_LEADS_MONTHS": "2",
    }
    ran = run_cli(env, "privacy", "retention")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"({old:%Y%m})" in ran.stdout and "anonymised: 1" in ran.stdout, ran.stdout
    partitions = store.query(
        "SELECT DISTINCT partition FROM system.parts WHERE database = %(db)s AND table = 'events' AND active",
        {"db": db},
    )
    assert [p for (p,) in partitions] == [f"{now:%Y%m}"], "the old month is gone, this month stays"
    names = dict(
        store.query(f"SELECT toString(lead_id), argMax(name, version) FROM {db}.leads GROUP BY lead_id")
    )
    assert names == {people["Eski Müşteri"]: "", people["Yeni Müşteri"]: "Yeni Müşteri"}
    assert stats(today - timedelta(days=1), today) == recent, "the kept range reads the same"
    assert stats(old.date() - timedelta(days=1), old.date())["leads"] == 1, "an anonymised lead still counts"
    log = run_cli(env, "privacy", "log")
    assert "retention" in log.stdout and "Eski" not in log.stdout


@pytest.mark.browser
def test_the_owner_downloads_then_erases_a_persons_data_from_the_lead_page(
    clickhouse, store, make_server, tmp_path
) -> None:
    server = make_server(clickhouse, store, workers=1, **lead_env())
    lead = form_lead(name="Deniz Aksoy", phone="0535 444 55 66", message="0535 444 55 66 numarasından ulaşın")
    other = form_lead(name="Başka Biri", phone="0536 777 88 99")
    for body in (lead, other):
        assert post_lead(server.url, body).status_code == 201
    refused = requests.post(
        f"{server.url}/api/admin/leads/{lead['lead_id']}/erase",
        json={"confirm": "evet"},
        headers=AUTH,
        timeout=10,
    )
    assert refused.status_code == 400 and refused.json()["field"] == "confirm"
    assert "SİL" in refused.json()["message_tr"]

    with chromium() as browser:
        context = browser.new_context(
            viewport=PHONE, user_agent=MOBILE_UA, locale="tr-TR", accept_downloads=True
        )
        page = context.new_page()
        page.goto(f"{server.url}/admin/")
        page.fill("#secret", SECRET)
        page.click("#login-form button[type=submit]")
        page.locator("#lead-list .card").first.wait_for()
        page.goto(f"{server.url}/admin/#/lead/{lead['lead_id']}")
        with page.expect_download() as got:
            page.get_by_role("button", name="Verilerini indir").click()
        saved = got.value
        assert saved.suggested_filename == f"kisisel-veri-{lead['lead_id'][:8]}.json"
        held = json.loads(Path(saved.path()).read_text())
        assert held["person"]["phone"] == "+905354445566" and held["leads"][0]["name"] == "Deniz Aksoy"
        page.get_by_role("button", name="Verilerini sil").click()
        page.fill("#erase-confirm", "SİL")
        page.get_by_role("button", name="Kalıcı olarak sil").click()
        expect(page.locator("#erased")).to_contain_text("Kişisel veriler silindi (1 talep)")
        expect(page.locator("#lead-detail h2")).to_have_text("(isimsiz)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pwa-lead-erased-390x844.png"))
        context.close()
    db = store.database
    assert found_in(dump(store, db), ["Deniz Aksoy", "5354445566", "0535 444 55 66"]) == []
    assert "Başka Biri" in dump(store, db)
    entries = requests.get(f"{server.url}/api/admin/privacy/log", headers=AUTH, timeout=10).json()["entries"]
    assert [(e["action"], e["actor"], e["lead_ids"]) for e in entries] == [
        ("erase", "admin 127.0.0.1", [lead["lead_id"]]),
        ("export", "admin 127.0.0.1", [lead["lead_id"]]),
    ]
