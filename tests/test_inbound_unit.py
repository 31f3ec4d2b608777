"""Pure parts of the inbound webhooks: reference codes, signatures, payload parsing, the call window."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from eslamed.core.config import ConfigError, load_settings
from eslamed.core.problems import Problem
from eslamed.inbound.attach import call_window
from eslamed.inbound.payloads import parse_call, parse_notification
from eslamed.inbound.signature import sign, signature_ok
from eslamed.leads.refs import find_ref
from eslamed.leads.validate import validate_lead
from tests.support.leads import form_lead
from tests.support.meta import status_update, text_message
from tests.support.server import base_env


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Merhaba (ref K7Q2M)", "K7Q2M"),
        ("merhaba ref: k7q2m", "K7Q2M"),
        ("Merhaba (ref K0Q2M)", ""),  # 0 is not in the alphabet
        ("Merhaba (ref K7Q2M9)", ""),
        ("prefer K7Q2M", ""),
        ("", ""),
    ],
)
def test_find_ref(text: str, code: str) -> None:
    assert find_ref(text) == code


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    header = sign(body, "s3cret")
    assert header.startswith("sha256=") and len(header) == 71
    assert signature_ok(body, "s3cret", header)
    assert signature_ok(body, "s3cret", header.upper().replace("SHA256=", "sha256="))
    assert not signature_ok(body + b" ", "s3cret", header)
    assert not signature_ok(body, "other", header)
    assert not signature_ok(body, "s3cret", None)
    assert not signature_ok(body, "s3cret", "sha256=ğ")
    assert not signature_ok(body, "", sign(body, ""))


def test_cloud_api_payload_parses_messages_names_and_statuses() -> None:
    parsed = parse_notification(text_message("905321234567", "Merhaba", "wamid.X", name="Ayşe"))
    assert [(m.message_id, m.sender, m.text, m.profile_name) for m in parsed.messages] == [
        ("wamid.X", "905321234567", "Merhaba", "Ayşe")
    ]
    assert parsed.statuses == 0
    status = parse_notification(status_update("905321234567", "wamid.Y"))
    assert (status.messages, status.statuses) == ([], 1)
    with pytest.raises(Problem) as err:
        parse_notification({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]})
    assert err.value.field == "changes[].value"


def test_call_notice_times_and_keys() -> None:
    notice = parse_call({"caller": "05321234567", "started_at": "2026-12-02T14:05:00+03:00", "duration_s": 3})
    assert notice.started_at == datetime(2026, 12, 2, 11, 5)
    again = parse_call({"caller": "05321234567", "started_at": 1796209500})
    assert again.started_at == datetime(2026, 12, 2, 11, 5)
    assert notice.key == again.key
    assert parse_call({"caller": "1", "started_at": 1, "call_id": "abc"}).key == "abc"
    for bad, field in [
        ({"started_at": 1}, "caller"),
        ({"caller": "1", "started_at": "2026-12-02T14:05:00"}, "started_at"),
        ({"caller": "1", "started_at": 1, "duration_s": -1}, "duration_s"),
        ({"caller": "1", "started_at": 1, "duration_s": True}, "duration_s"),
    ]:
        with pytest.raises(Problem) as err:
            parse_call(bad)
        assert err.value.field == field


def test_call_window_defaults_to_five_minutes_and_refuses_nonsense(tmp_path: Path) -> None:
    env = base_env("clickhouse://127.0.0.1:9000", "x", tmp_path)
    assert call_window(load_settings(env=env)) == timedelta(minutes=5)
    assert call_window(load_settings(env={**env, "CALL_MATCH_WINDOW_MIN": ""})) == timedelta(minutes=5)
    assert call_window(load_settings(env={**env, "CALL_MATCH_WINDOW_MIN": "2.5"})) == timedelta(minutes=2.5)
    with pytest.raises(ConfigError, match="CALL_MATCH_WINDOW_MIN"):
        call_window(load_settings(env={**env, "CALL_MATCH_WINDOW_MIN": "soon"}))


def test_lead_ref_is_checked_and_kept_on_whatsapp_taps_only() -> None:
    tap = validate_lead(form_lead(source="whatsapp", phone="", ref="K7Q2M", fill_ms=None))
    assert tap["ref"] == "K7Q2M"
    assert validate_lead(form_lead())["ref"] == ""
    for changes in (
        {"source": "whatsapp", "ref": "K7Q2"},
        {"source": "whatsapp", "ref": 12345},
        {"ref": "K7Q2M"},
    ):
        with pytest.raises(Problem) as err:
            validate_lead(form_lead(**changes))
        assert (err.value.code, err.value.field) == ("invalid_ref", "ref")
