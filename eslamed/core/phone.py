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


def display_phone(phone: str, region: str = DEFAULT_REGION) -> str:
    """What a person reads: '+905321234567' -> '0532 123 45 67' (national form at home, international
    abroad). Storage, tel: and wa.me links keep E.164; text that is no number is shown as it was."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return phone
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


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
