"""Phone numbers: E.164 normalisation (Turkey by default) and hashing for Google Ads."""

from __future__ import annotations

import hashlib

import phonenumbers

DEFAULT_REGION = "TR"


class InvalidPhone(ValueError):
    """Not a dialable number; the message says so in plain words."""


def normalize_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """'0532 123 45 67', '+90 532…' and '90532…' all become '+905321234567'."""
    text = raw.strip()
    if text.startswith("90") and len(text.replace(" ", "")) == 12:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sha256_hex(e164: str) -> str:
    """Google Ads enhanced conversions want the SHA-256 of the E.164 number; empty stays empty."""
    return hashlib.sha256(e164.encode()).hexdigest() if e164 else ""
