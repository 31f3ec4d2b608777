"""Pure helpers behind 'Satış Onayla' and the phone form: no server needed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

import pytest

from eslamed.conversions.sale import conversion_id, parse_closed_at, parse_revenue
from eslamed.core.phone import InvalidPhone, normalize_e164, phone_sha256
from eslamed.core.problems import Problem

NOW = datetime(2026, 11, 26, 20, 0)


@pytest.mark.parametrize("raw", ["0532 123 45 67", "+90 532 123 4567", "905321234567", "5321234567"])
def test_turkish_numbers_normalise_to_e164(raw):
    assert normalize_e164(raw) == "+905321234567"


def test_invalid_phone_is_refused():
    with pytest.raises(InvalidPhone):
        normalize_e164("12")


def test_phone_hash_is_sha256_of_e164_and_empty_stays_empty():
    assert phone_sha256("+905321234567") == hashlib.sha256(b"+905321234567").hexdigest()
    assert phone_sha256("0532 123 45 67") == hashlib.sha256(b"+905321234567").hexdigest()
    assert phone_sha256("") == phone_sha256("12") == ""


@pytest.mark.parametrize(("raw", "amount"), [("15000", "15000.00"), (15000, "15000.00"), ("99.5", "99.50")])
def test_revenue_parses_to_two_decimals(raw, amount):
    assert parse_revenue(raw) == Decimal(amount)


@pytest.mark.parametrize("raw", ["15.000,00", "0", "-1", "1.234", True, None, "1e5", "100000001"])
def test_revenue_rejects_ambiguous_or_out_of_range(raw):
    with pytest.raises(Problem):
        parse_revenue(raw)


def test_closed_at_date_means_istanbul_noon_and_never_the_future():
    assert parse_closed_at("2026-11-20", NOW) == datetime(2026, 11, 20, 9, 0)
    assert parse_closed_at("2026-11-26", datetime(2026, 11, 26, 6, 0)) == datetime(2026, 11, 26, 6, 0)
    assert parse_closed_at(None, NOW) == NOW
    with pytest.raises(Problem):
        parse_closed_at("2026-12-05", NOW)


def test_conversion_ids_are_deterministic_per_deal_and_key():
    lead = "0b7c1a4e-2f9e-4c55-8d0e-2b1e4f6a7c9d"
    assert conversion_id(lead, 1) == conversion_id(lead, 1) != conversion_id(lead, 2)
    assert conversion_id(lead, 1, "k") == conversion_id(lead, 7, "k") != conversion_id(lead, 1)
