"""Validation of /api/lead bodies: pure functions, no server needed to test them.

Every error names the field and carries a Turkish and an English message, so the site can
show the visitor what to fix in their language. Text is kept exactly as typed (never
escaped or rendered here): whoever displays it treats it as text.
"""

from __future__ import annotations

import math
import uuid
from typing import Any
from urllib.parse import parse_qsl

from eslamed.core.phone import InvalidPhone, normalize_e164
from eslamed.core.problems import Problem
from eslamed.ingest.validate import parse_json
from eslamed.leads.refs import ALPHABET, LENGTH, is_ref

MAX_BODY_BYTES = 32 * 1024
SOURCES = ("form", "whatsapp", "call")
CLICK_FIELDS = ("gclid", "gbraid", "wbraid")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

# field -> (maximum length, Turkish label)
TEXT_FIELDS: dict[str, tuple[int, str]] = {
    "name": (200, "Ad soyad"),
    "phone": (40, "Telefon"),
    "message": (2000, "Mesaj"),
    "url": (2048, "Sayfa adresi"),
    "variant": (64, "Sayfa varyantı"),
    "gclid": (512, "gclid"),
    "gbraid": (512, "gbraid"),
    "wbraid": (512, "wbraid"),
    "utm_source": (256, "utm_source"),
    "utm_medium": (256, "utm_medium"),
    "utm_campaign": (256, "utm_campaign"),
    "utm_term": (256, "utm_term"),
    "utm_content": (256, "utm_content"),
    "visitor_id": (64, "Ziyaretçi kimliği"),
    "website": (512, "website"),
}
TRUE_WORDS = frozenset({"1", "true", "on", "yes", "evet"})
FALSE_WORDS = frozenset({"", "0", "false", "off", "no", "hayir", "hayır"})


def lead_error(code: str, field: str, message_tr: str, message_en: str, status: int = 400) -> Problem:
    """A 4xx answer for the visitor: machine code, field, and the message in Turkish and English."""
    return Problem(message_en, field, code=code, message_tr=message_tr, status=status)


TOO_LARGE = lead_error(
    "too_large",
    "",
    f"Gönderilen veri çok büyük (en fazla {MAX_BODY_BYTES} bayt).",
    f"Request body larger than {MAX_BODY_BYTES} bytes.",
    status=413,
)
"""Refused on the declared length (POST /api/lead, without reading) and on the body read (here)."""


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """JSON object or form-encoded fields, as a plain dict (last value wins for repeated form keys)."""
    if len(body) > MAX_BODY_BYTES:
        raise TOO_LARGE
    if content_type == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError as exc:
            raise lead_error(
                "malformed", "", "Form verisi okunamadı.", "Form data is not valid UTF-8."
            ) from exc
    try:
        data = parse_json(body)
    except Problem as exc:
        raise lead_error(
            "malformed", "", "Gönderilen veri okunamadı.", f"Malformed body: {exc.message}"
        ) from exc
    if not isinstance(data, dict):
        raise lead_error("malformed", "", "Gönderilen veri okunamadı.", "The body must be a JSON object.")
    return data


def _text(raw: dict[str, Any], field: str) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    max_len, label = TEXT_FIELDS[field]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise lead_error("invalid_type", field, f"{label} metin olmalı.", f"{field} must be a string.")
    value = str(value)
    if len(value) > max_len:
        raise lead_error(
            "too_long",
            field,
            f"{label} çok uzun (en fazla {max_len} karakter).",
            f"{field} is longer than {max_len} characters.",
        )
    if "\x00" in value:
        raise lead_error(
            "invalid_text", field, f"{label} geçersiz karakter içeriyor.", f"{field} contains NUL."
        )
    return value.strip()


def _lead_id(raw: dict[str, Any]) -> str:
    value = raw.get("lead_id")
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise lead_error(
        "invalid_lead_id",
        "lead_id",
        "Talep kimliği eksik veya geçersiz; lütfen sayfayı yenileyip tekrar deneyin.",
        "lead_id must be a UUID made by the browser.",
    )


def _consent(raw: dict[str, Any]) -> bool:
    value = raw.get("consent")
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise lead_error("invalid_consent", "consent", "İzin alanı geçersiz.", "consent must be true or false.")


def _fill_ms(raw: dict[str, Any]) -> int | None:
    value = raw.get("fill_ms")
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return int(value)
    raise lead_error("invalid_fill_ms", "fill_ms", "Form süresi geçersiz.", "fill_ms must be milliseconds.")


def _phone(raw_phone: str, source: str) -> str:
    if not raw_phone:
        if source == "form":
            raise lead_error(
                "phone_required",
                "phone",
                "Lütfen telefon numaranızı yazın.",
                "Please enter your phone number.",
            )
        return ""
    try:
        return normalize_e164(raw_phone)
    except InvalidPhone:
        raise lead_error(
            "invalid_phone",
            "phone",
            "Telefon numarası geçersiz. Lütfen 0532 123 45 67 biçiminde yazın.",
            "The phone number is not valid. Please write it like 0532 123 45 67.",
        ) from None


def _ref(raw: dict[str, Any], source: str) -> str:
    """A WhatsApp tap's reference code (see eslamed.leads.refs); other leads carry none."""
    value = raw.get("ref")
    if value is None or value == "":
        return ""
    if source == "whatsapp" and isinstance(value, str) and is_ref(value):
        return value
    raise lead_error(
        "invalid_ref",
        "ref",
        "WhatsApp referans kodu geçersiz.",
        f"ref must be {LENGTH} characters of {ALPHABET}, on WhatsApp leads only.",
    )


def validate_lead(raw: dict[str, Any]) -> dict[str, Any]:
    """A normalised lead: every text field present, phone in E.164 (or "" for taps), consent a bool."""
    lead_id = _lead_id(raw)
    source = raw.get("source") or "form"
    if source not in SOURCES:
        raise lead_error(
            "invalid_source",
            "source",
            "Talep türü geçersiz.",
            f"source must be one of {', '.join(SOURCES)}.",
        )
    lead: dict[str, Any] = {"lead_id": lead_id, "source": source}
    for field in TEXT_FIELDS:
        lead[field] = _text(raw, field)
    lead["phone"] = _phone(lead["phone"], source)
    lead["consent"] = _consent(raw)
    lead["fill_ms"] = _fill_ms(raw)
    lead["ref"] = _ref(raw, source)
    return lead
