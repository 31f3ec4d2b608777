"""Pure parts of lead capture and notification: no server, no ClickHouse."""

from __future__ import annotations

import uuid

import gevent
import orjson
import pytest
from clickhouse_driver.errors import ServerException

from eslamed.core.phone import InvalidPhone, display_phone, mask_phone, normalize_e164
from eslamed.core.problems import Problem
from eslamed.core.store import StoreUnavailable
from eslamed.ingest.geo import Place
from eslamed.ingest.useragent import classify
from eslamed.leads.attribution import NO_HISTORY, VisitHistory, attribute
from eslamed.leads.group_insert import GroupInsert
from eslamed.leads.journal import LeadJournal
from eslamed.leads.service import new_record, public_status
from eslamed.leads.spam import spam_reason, status_for
from eslamed.leads.validate import parse_body, validate_lead
from eslamed.notify.message import LeadSummary, push_payload, telegram_text, template_parameters
from eslamed.notify.notifier import backoff_s
from eslamed.notify.outbox import Outbox, entry_key
from tests.support.clients import BROWSER_UA
from tests.support.leads import form_lead


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0532 123 45 67", "+905321234567"),
        ("532 123 4567", "+905321234567"),
        ("+90 (532) 123-45-67", "+905321234567"),
        ("0212 555 12 34", "+902125551234"),
        ("+49 30 12345678", "+493012345678"),
        ("12345", None),
        ("0532 123", None),
        ("telefon", None),
    ],
)
def test_phone_numbers_are_parsed_in_turkey_and_stored_e164(typed: str, e164: str | None) -> None:
    if e164 is None:
        with pytest.raises(InvalidPhone):
            normalize_e164(typed)
    else:
        assert normalize_e164(typed) == e164


def test_phone_masking_keeps_prefix_and_last_four() -> None:
    assert mask_phone("+905321234567") == "+90532***4567"
    assert mask_phone("") == ""
    assert "1234" not in mask_phone("+901234")


def test_valid_form_lead_is_normalised() -> None:
    lead = validate_lead(form_lead(lead_id=str(uuid.uuid4()).upper(), gclid="abc", consent="on"))
    assert lead["phone"] == "+905321234567"
    assert lead["lead_id"] == lead["lead_id"].lower()
    assert lead["consent"] is True
    assert lead["gclid"] == "abc"
    assert lead["utm_source"] == ""


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"phone": "12"}, "invalid_phone", "phone"),
        ({"phone": ""}, "phone_required", "phone"),
        ({"name": "x" * 10_240}, "too_long", "name"),
        ({"lead_id": "not-a-uuid"}, "invalid_lead_id", "lead_id"),
        ({"lead_id": None}, "invalid_lead_id", "lead_id"),
        ({"source": "email"}, "invalid_source", "source"),
        ({"consent": "maybe"}, "invalid_consent", "consent"),
        ({"fill_ms": -5}, "invalid_fill_ms", "fill_ms"),
        ({"message": ["a"]}, "invalid_type", "message"),
        ({"name": "a\x00b"}, "invalid_text", "name"),
    ],
)
def test_bad_leads_are_refused_in_turkish_and_english(changes: dict, code: str, field: str) -> None:
    with pytest.raises(Problem) as caught:
        validate_lead(form_lead(**changes))
    error = caught.value.as_json()
    assert (error["error"], error["field"]) == (code, field)
    assert error["message_tr"] and error["message_en"] and error["message_tr"] != error["message_en"]


def test_taps_need_no_phone_and_script_tags_are_kept_as_typed() -> None:
    tap = validate_lead(form_lead(source="whatsapp", phone=None, fill_ms=None))
    assert tap["phone"] == ""
    lead = validate_lead(form_lead(message="<script>alert(1)</script>"))
    assert lead["message"] == "<script>alert(1)</script>"


def test_form_encoded_and_json_bodies_parse_alike() -> None:
    body = "lead_id=8d1f6f7e-2a53-4a8e-9d6a-0c8f3b2e1a11&phone=0532+123+45+67&consent=true&fill_ms=4000"
    form = validate_lead(parse_body(body.encode(), "application/x-www-form-urlencoded"))
    assert (form["phone"], form["consent"], form["fill_ms"]) == ("+905321234567", True, 4000)
    with pytest.raises(Problem, match="JSON object"):
        parse_body(b"[1, 2]", "application/json")
    with pytest.raises(Problem) as caught:
        parse_body(b"{" * 10, "application/json")
    assert caught.value.code == "malformed"
    with pytest.raises(Problem) as caught:
        parse_body(b"x" * 40_000, "application/json")
    assert caught.value.code == "too_large"


def test_only_the_honeypot_is_spam_a_fast_form_is_suspicious() -> None:
    assert status_for("honeypot") == "SPAM"
    assert status_for("too_fast") == "NEW"
    assert status_for("") == "NEW"
    record = new_record(
        validate_lead(form_lead(fill_ms=300)), Place("TR", "Istanbul", "Istanbul"), classify(BROWSER_UA), 1e9
    )
    assert (record["status"], record["spam_reason"]) == ("NEW", "too_fast")
    assert LeadSummary.from_record(record).suspicious == "too_fast"


def test_spam_verdicts() -> None:
    assert spam_reason("form", "http://spam.example", 9000) == "honeypot"
    assert spam_reason("form", "", 300) == "too_fast"
    assert spam_reason("form", "", None) == ""
    assert spam_reason("call", "", 10) == ""
    assert spam_reason("form", "", 5000) == ""


def test_spam_is_recorded_but_answered_like_any_lead() -> None:
    agent = classify(BROWSER_UA)
    record = new_record(
        validate_lead(form_lead(website="x")), Place("TR", "Istanbul", "Istanbul"), agent, 1e9
    )
    assert (record["status"], record["spam_reason"]) == ("SPAM", "honeypot")
    assert "website" not in record and "fill_ms" not in record
    assert (record["city"], record["device"]) == ("Istanbul", "mobile")
    assert public_status("SPAM") == "NEW"


def _lead(**changes: object) -> dict:
    return validate_lead(form_lead(**changes))


def test_attribution_prefers_the_click_id_the_lead_carries() -> None:
    history = VisitHistory(gclid="OLD", first_source="organic", last_source="paid", landing_page="/acil")
    out = attribute(_lead(gclid="NEW"), history, frozenset())
    assert (out["gclid"], out["click_id_origin"]) == ("NEW", "direct")
    assert (out["first_source"], out["last_source"], out["landing_page"]) == ("organic", "paid", "/acil")


def test_attribution_recovers_the_visitors_latest_click_id() -> None:
    out = attribute(_lead(), VisitHistory(gbraid="GB-1", last_source="paid"), frozenset())
    assert (out["gclid"], out["gbraid"], out["click_id_origin"]) == ("", "GB-1", "visitor_history")


def test_attribution_without_any_history() -> None:
    lead = _lead(utm_source="google", utm_medium="organic")
    out = attribute(lead, NO_HISTORY, frozenset())
    assert out["click_id_origin"] == ""
    assert out["landing_page"] == lead["url"]
    assert out["first_source"] == out["last_source"] == "organic"


def _summary(**changes: str) -> LeadSummary:
    base = dict(
        lead_id="8d1f6f7e-2a53-4a8e-9d6a-0c8f3b2e1a11",
        name="Ayşe <b>Yılmaz</b>",
        phone="+905321234567",
        source="form",
        url="https://eslamed.example/oksijen?x=1",
        variant="acil",
        city="Istanbul",
        click_id="gclid",
        message="line one\nline\ttwo",
    )
    return LeadSummary(**{**base, **changes})


def test_owner_message_in_turkish_is_plain_text() -> None:
    text = telegram_text(_summary())
    assert "Yeni talep: Form" in text
    assert "Ad: Ayşe <b>Yılmaz</b>" in text
    assert "Telefon: 0532 123 45 67" in text, "a person reads the national form"
    assert "Şüpheli" not in text and "🔗" not in text
    assert "Sayfa: /oksijen (varyant: acil)" in text
    assert "Şehir: Istanbul" in text
    assert "Google tıklaması: var (gclid)" in text
    tap = telegram_text(_summary(phone="", source="call", click_id="", city=""))
    assert "numara yok" in tap and "Google tıklaması: yok" in tap and "Telefon araması" in tap


def test_whatsapp_parameters_have_no_newlines_and_never_empty() -> None:
    params = template_parameters(_summary(name="", message="a\nb"))
    assert params[0] == "-"
    assert all("\n" not in p and "\t" not in p and p for p in params)
    assert params[1] == "0532 123 45 67"


def test_push_payload_is_tap_to_call() -> None:
    payload = push_payload(_summary())
    assert payload["tel"] == "tel:+905321234567", "links keep E.164"
    assert payload["body"].startswith("0532 123 45 67 · ")
    assert payload["url"] == "/admin/#/lead/8d1f6f7e-2a53-4a8e-9d6a-0c8f3b2e1a11", (
        "the PWA routes #/lead/<id>"
    )


def test_suspicious_lead_is_marked_and_linked_to_the_admin() -> None:
    text = telegram_text(_summary(suspicious="too_fast"), "https://eslamed.example/")
    assert text.splitlines()[1] == "⚠️ Şüpheli: form çok hızlı dolduruldu"
    assert text.splitlines()[-1] == (
        "🔗 Talep: https://eslamed.example/admin/#/lead/8d1f6f7e-2a53-4a8e-9d6a-0c8f3b2e1a11"
    )
    assert push_payload(_summary(suspicious="too_fast"))["title"].startswith("Şüpheli talep: ")


def test_phone_display_is_national_at_home_and_international_abroad() -> None:
    assert display_phone("+905321234567") == "0532 123 45 67"
    assert display_phone("+4915112345678") == "+49 1511 2345678"
    assert display_phone("") == ""


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(5, n) for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff_s(5, 30) == 900


def ACCEPT_ALL(record: dict) -> None:
    """These journal tests are about replay order and failures, not the schema check."""


def test_journal_is_replayed_once_and_seen_until_stored(tmp_path) -> None:
    journal = LeadJournal(tmp_path)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for lead_id in ids:
        journal.append({"lead_id": lead_id})
    assert journal.contains(ids[1]) and not journal.contains(str(uuid.uuid4()))
    received: list[list[dict]] = []

    def store(records: list[dict]) -> int:
        received.append(records)
        if len(received) == 1:
            raise StoreUnavailable("ClickHouse went away mid-replay")
        return len(records)

    with pytest.raises(StoreUnavailable):
        journal.replay(store, ACCEPT_ALL)
    assert journal.contains(ids[0]), "a failed replay keeps the file"
    journal.append({"lead_id": "late"})
    assert journal.replay(store, ACCEPT_ALL) == 4
    assert [r["lead_id"] for batch in received[1:] for r in batch] == [*ids, "late"]
    assert not journal.pending() and journal.replay(store, ACCEPT_ALL) == 0


def test_journal_quarantines_a_bad_record_once_and_retries_server_refusals(tmp_path) -> None:
    journal = LeadJournal(tmp_path)
    for record in ({"lead_id": "a"}, {"lead_id": "bad"}, {"lead_id": "c"}):
        journal.append(record)
    calls: list[list[str]] = []
    server_down = [True]

    def store(records: list[dict]) -> int:
        calls.append([r["lead_id"] for r in records])
        if server_down[0]:
            raise ServerException("Too many parts", code=252)
        if any(r["lead_id"] == "bad" for r in records):
            raise KeyError("name")
        return len(records)

    with pytest.raises(ServerException):
        journal.replay(store, ACCEPT_ALL)
    assert not journal.quarantine.exists(), "ClickHouse refusing is not the record's fault"
    server_down[0] = False
    assert journal.replay(store, ACCEPT_ALL) == 2
    assert calls[1:] == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert journal.quarantine.read_bytes() == b'{"lead_id":"bad"}\n'
    assert not journal.pending() and journal.replay(store, ACCEPT_ALL) == 0


def test_journal_keeps_torn_lines_aside(tmp_path) -> None:
    journal = LeadJournal(tmp_path)
    journal.append({"lead_id": "a"})
    with journal.active.open("ab") as out:
        out.write(b'{"lead_id": "torn')
    journal.append({"lead_id": "b"})
    got: list[dict] = []
    journal.replay(lambda records: got.extend(records) or len(records), ACCEPT_ALL)
    assert [r["lead_id"] for r in got] == ["a", "b"], "a torn write does not swallow the next record"
    kept = list(tmp_path.glob("bad-*.jsonl"))
    assert len(kept) == 1 and b"torn" in kept[0].read_bytes()


def test_outbox_queues_each_notification_once(tmp_path) -> None:
    outbox = Outbox(tmp_path)
    entry = {"key": entry_key("L1", "telegram", "-1001"), "next_attempt_at": 100.0, "attempts": 0}
    assert outbox.add(entry) and not outbox.add(dict(entry))
    assert outbox.due(99.0) == [] and len(outbox.due(100.0)) == 1
    entry["next_attempt_at"] = 200.0
    outbox.update(entry)
    assert outbox.due(150.0) == []
    outbox.give_up(entry)
    assert outbox.pending_count() == 0
    assert (
        orjson.loads((tmp_path / "failed" / f"{entry['key']}.json").read_bytes())["next_attempt_at"] == 200.0
    )


def test_group_insert_shares_blocks_and_reports_failures_to_each_waiter() -> None:
    blocks: list[list[int]] = []

    def insert(records: list[dict]) -> int:
        gevent.sleep(0.05)  # a slow ClickHouse: later requests pile up behind this insert
        if any(r["n"] == 99 for r in records):
            raise StoreUnavailable("down")
        blocks.append([r["n"] for r in records])
        return len(records)

    group = GroupInsert(insert)
    jobs = [gevent.spawn(group.insert, {"n": n}) for n in range(6)]
    gevent.joinall(jobs, raise_error=True)
    assert sorted(n for block in blocks for n in block) == list(range(6))
    assert len(blocks) < 6, "requests waiting behind an insert share the next one"
    failing = gevent.spawn(group.insert, {"n": 99})
    failing.join()
    assert isinstance(failing.exception, StoreUnavailable)
    group.stop()


def test_concurrent_write_aheads_share_one_fsync_and_each_lead_is_on_disk(tmp_path, monkeypatch) -> None:
    """Issue 24: on 18.16 every lead is journaled before its insert; leads that arrive while one
    fsync runs go in the next write together, so ten leads do not wait for ten fsyncs in a row."""
    from eslamed.leads import journal as journal_module

    fsyncs: list[int] = []
    real_fsync = journal_module.fsync_fd

    def slow_fsync(fd: int) -> None:
        gevent.sleep(0.02)  # a disk's fsync, yielding as the worker's thread pool does
        real_fsync(fd)
        fsyncs.append(fd)

    monkeypatch.setattr(journal_module, "fsync_fd", slow_fsync)
    journal = LeadJournal(tmp_path / "journal")
    commit = GroupInsert(journal.append_many)
    jobs = [gevent.spawn(commit.insert, {"lead_id": f"lead-{n}"}) for n in range(10)]
    gevent.joinall(jobs, raise_error=True)
    commit.stop()
    lines = (tmp_path / "journal" / journal_module.ACTIVE).read_bytes().splitlines()
    assert sorted(orjson.loads(line)["lead_id"] for line in lines) == sorted(f"lead-{n}" for n in range(10))
    assert len(fsyncs) < 10, f"{len(fsyncs)} fsyncs for 10 leads"
