"""The pure parts of conversion upload: building, validating and timing one sale."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from eslamed.conversions.model import (
    FAILED,
    SKIPPED,
    build_sale,
    google_ads_time,
    local_problem,
    next_attempt,
)
from eslamed.conversions.reasons import google_reason
from eslamed.conversions.settings import ads_config, upload_status
from eslamed.core.config import load_settings
from eslamed.core.phone import phone_sha256
from tests.support.server import base_env

NOW = datetime(2026, 11, 26, 12, 0, 0)
E164_SHA = hashlib.sha256(b"+905321234567").hexdigest()


def row(**fields) -> dict:
    base = {
        "conversion_id": uuid.uuid4(),
        "lead_id": uuid.uuid4(),
        "closed_at": NOW - timedelta(hours=1),
        "revenue": Decimal("15000.00"),
        "currency": "TRY",
        "gclid": "",
        "gbraid": "",
        "wbraid": "",
        "phone_sha256": "",
        "consent": 0,
    }
    base.update(fields)
    return base


def lead(**fields) -> dict:
    base = {
        "created_at": NOW - timedelta(days=3),
        "phone": "0532 123 45 67",
        "gclid": "Cj0KCQiA-abcdef",
        "consent": 1,
    }
    base.update(fields)
    return base


def test_phone_hash_is_sha256_of_e164_whatever_the_owner_typed():
    for typed in ("+90 532 123 45 67", "0532 123 45 67", "5321234567", "+905321234567"):
        assert phone_sha256(typed) == E164_SHA
    assert phone_sha256("12") == ""


def test_sale_takes_click_id_phone_and_consent_from_the_lead():
    sale = build_sale(row(), lead())
    assert (sale.gclid, sale.phone_sha256, sale.consent) == ("Cj0KCQiA-abcdef", E164_SHA, True)
    assert sale.transaction_id == str(sale.conversion_id)
    assert local_problem(sale, NOW) is None


def test_istanbul_time_is_utc_plus_three_in_google_ads_format():
    assert google_ads_time(datetime(2026, 11, 23, 21, 30, 5)) == "2026-11-24 00:30:05+03:00"


def test_bad_rows_fail_locally_before_sending():
    assert local_problem(build_sale(row(revenue=Decimal("0")), lead()), NOW).state == FAILED
    assert local_problem(build_sale(row(currency="TL"), lead()), NOW).state == FAILED
    assert local_problem(build_sale(row(closed_at=NOW + timedelta(days=1)), lead()), NOW).state == FAILED
    assert local_problem(build_sale(row(closed_at=NOW - timedelta(days=5)), lead()), NOW).state == FAILED
    assert local_problem(build_sale(row(), lead(gclid="bad gclid!")), NOW).state == FAILED
    old_click = lead(created_at=NOW - timedelta(days=120))
    assert "90" in local_problem(build_sale(row(), old_click), NOW).reason


def test_no_identifiers_or_no_consent_is_skipped_with_a_reason():
    skipped = local_problem(build_sale(row(), lead(gclid="", phone="")), NOW)
    assert skipped.state == SKIPPED and "No click id and no phone" in skipped.reason
    refused = local_problem(build_sale(row(), lead(consent=0)), NOW)
    assert refused.state == SKIPPED and "consent" in refused.reason


def test_backoff_doubles_up_to_six_hours_and_honours_googles_wait():
    assert next_attempt(1, NOW, None) == NOW + timedelta(minutes=1)
    assert next_attempt(3, NOW, None) == NOW + timedelta(minutes=4)
    assert next_attempt(30, NOW, None) == NOW + timedelta(hours=6)
    assert next_attempt(1, NOW, 6 * 3600) == NOW + timedelta(hours=6)


def test_google_codes_read_as_owner_sentences():
    assert google_reason("TOO_RECENT_EVENT").startswith("Tıklama çok yeni")
    assert "[SOMETHING_NEW]" in google_reason("SOMETHING_NEW", "details")


def test_missing_config_says_google_ads_not_configured(tmp_path):
    settings = load_settings(env=base_env("clickhouse://default:@127.0.0.1:9000", "db", tmp_path))
    status = upload_status(settings)
    assert status["configured"] is False
    assert status["message"] == "Google Ads not configured"
    assert "GOOGLE_ADS_CUSTOMER_ID" in status["missing"]
    env = base_env("clickhouse://default:@127.0.0.1:9000", "db", tmp_path)
    env.update(
        GOOGLE_ADS_CUSTOMER_ID="123-456-7890",
        GOOGLE_ADS_CONVERSION_ACTION_ID="1",
        GOOGLE_ADS_SERVICE_ACCOUNT_FILE="/etc/eslamed/sa.json",
    )
    configured = load_settings(env=env)
    assert upload_status(configured)["configured"] is True
    assert ads_config(configured).customer_id == "1234567890"
