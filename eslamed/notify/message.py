"""What the owner reads when a lead arrives, in Turkish; pure functions over a `LeadSummary`.

All output is plain text (Telegram without parse_mode, template parameters, a JSON push
payload): whatever a visitor typed, script tags included, is shown as text, never as HTML.
Every field is put on one line first (`one_line`), so no field can start a line of its own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from eslamed.ingest.urls import split_url

SOURCE_TR = {"form": "Form", "whatsapp": "WhatsApp", "call": "Telefon araması"}
MAX_MESSAGE_CHARS = 500
MAX_TEMPLATE_PARAM = 200


@dataclass(frozen=True)
class LeadSummary:
    lead_id: str
    name: str
    phone: str
    source: str
    url: str
    variant: str
    city: str
    click_id: str
    message: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LeadSummary:
        click = next((f for f in ("gclid", "gbraid", "wbraid") if record.get(f)), "")
        return cls(
            lead_id=record["lead_id"],
            name=record["name"],
            phone=record["phone"],
            source=record["source"],
            url=record["url"],
            variant=record["variant"],
            city=record["city"],
            click_id=click,
            message=record["message"],
        )

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def one_line(text: str) -> str:
    """A name such as "Ali\\n📞 Telefon: +90 555 ..." would otherwise forge a line of the owner's
    message; newlines, tabs, control and format characters (a right-to-left override, a
    zero-width space) become one space, and runs of spaces collapse."""
    if text.isprintable():
        return " ".join(text.split())
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


def page(summary: LeadSummary) -> str:
    parts = split_url(summary.url) if summary.url else None
    where = one_line(parts.path if parts else "") or one_line(summary.url) or "-"
    variant = one_line(summary.variant)
    return f"{where} (varyant: {variant})" if variant else where


def source_label(summary: LeadSummary) -> str:
    return SOURCE_TR.get(summary.source) or one_line(summary.source)


def click_line(summary: LeadSummary) -> str:
    click = one_line(summary.click_id)
    return f"var ({click})" if click else "yok"


def phone_line(summary: LeadSummary) -> str:
    if summary.phone:
        return one_line(summary.phone)
    return "numara yok: arayan/yazan numarayı yönetim panelinden ekleyin"


def name_line(summary: LeadSummary) -> str:
    return one_line(summary.name)


def city_line(summary: LeadSummary) -> str:
    return one_line(summary.city) or "bilinmiyor"


def telegram_text(summary: LeadSummary) -> str:
    """E.164 numbers in plain text are tap-to-call in Telegram's apps."""
    lines = [
        f"🔔 Yeni talep: {source_label(summary)}",
        f"👤 Ad: {name_line(summary) or '-'}",
        f"📞 Telefon: {phone_line(summary)}",
        f"📄 Sayfa: {page(summary)}",
        f"📍 Şehir: {city_line(summary)}",
        f"🎯 Google tıklaması: {click_line(summary)}",
    ]
    message = one_line(summary.message)
    if message:
        lines.append(f"💬 Mesaj: {message[:MAX_MESSAGE_CHARS]}")
    return "\n".join(lines)


def _param(text: str) -> str:
    """WhatsApp template parameters refuse newlines, tabs and long runs of spaces, and empty text."""
    return one_line(text)[:MAX_TEMPLATE_PARAM] or "-"


def template_parameters(summary: LeadSummary) -> list[str]:
    """Body parameters {{1}}..{{6}} of the owner's template: name, phone, source, page, city, click."""
    return [
        _param(summary.name),
        _param(summary.phone or "yok"),
        _param(source_label(summary)),
        _param(page(summary)),
        _param(city_line(summary)),
        _param(click_line(summary)),
    ]


def push_payload(summary: LeadSummary) -> dict[str, str]:
    """What the admin PWA's service worker shows; `tel` makes the notification tap-to-call."""
    city = one_line(summary.city) or "şehir bilinmiyor"
    return {
        "title": f"Yeni talep: {name_line(summary) or source_label(summary)}",
        "body": f"{phone_line(summary)} · {source_label(summary)} · {city}"
        f" · Google tıklaması: {click_line(summary)}",
        "lead_id": summary.lead_id,
        "tel": f"tel:{summary.phone}" if summary.phone else "",
        "url": f"/admin/#/leads/{summary.lead_id}",
    }
