"""Phone numbers: parsed with libphonenumber (default region TR), stored in E.164, masked in logs."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "TR"


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a number a person typed (`0532 123 45 67`, `+90 532…`), or None when it is not valid."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """`+905321234567` -> `+90532***4567`: enough to tell leads apart in a log, not enough to call."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "***"
    return f"{phone[:6]}***{phone[-4:]}"
