"""Phone numbers: E.164 normalisation (Turkey by default), hashing for Google Ads, masking for logs."""

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


def phone_sha256(raw: str) -> str:
    """Google's enhanced conversions match on the SHA-256 of the E.164 number; no valid number, no hash."""
    try:
        return hashlib.sha256(normalize_e164(raw).encode()).hexdigest() if raw else ""
    except InvalidPhone:
        return ""


def mask_phone(phone: str) -> str:
    """`+905321234567` -> `+90532***4567`: enough to tell leads apart in a log, not enough to call."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "***"
    return f"{phone[:6]}***{phone[-4:]}"
