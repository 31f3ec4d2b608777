"""What the owner reads when a lead arrives, in Turkish; pure functions over a `LeadSummary`.

All output is plain text (Telegram without parse_mode, template parameters, a JSON push
payload): whatever a visitor typed, script tags included, is shown as text, never as HTML.
Every field is put on one line first (`one_line`), so no field can start a line of its own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from eslamed.core.phone import display_phone
from eslamed.ingest.urls import split_url

PHONE_ARRIVED = "phone"
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
    # why the anti-spam check doubts the lead ("" if not); the default keeps old outbox entries readable
    suspicious: str = ""
    # "" for a new lead; PHONE_ARRIVED when a WhatsApp message or a call gave a tap lead its number
    event: str = ""

    @classmethod
    def from_record(cls, record: dict[str, Any], event: str = "") -> LeadSummary:
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
            suspicious=record.get("spam_reason", ""),
            event=event,
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


# What may stand in a URL path unescaped; anything else (a space, an emoji, what a dropped newline glued
# on) is percent-encoded, so the page line can only ever show one path of ours (issue 27 I).
PATH_SAFE = "/-._~!$&'()*+,;=:@%"


def page_path(summary: LeadSummary) -> str:
    """The path of the lead's page on our site, never its host, query or anything glued after it."""
    parts = split_url(summary.url) if summary.url else None
    return quote(parts.path if parts else "", safe=PATH_SAFE) or "-"


def page(summary: LeadSummary) -> str:
    variant = one_line(summary.variant)
    return f"{page_path(summary)} (varyant: {variant})" if variant else page_path(summary)


def source_label(summary: LeadSummary) -> str:
    return SOURCE_TR.get(summary.source) or one_line(summary.source)


def click_line(summary: LeadSummary) -> str:
    click = one_line(summary.click_id)
    return f"var ({click})" if click else "yok"


SUSPICIOUS_TR = {"too_fast": "form çok hızlı dolduruldu"}


def suspicious_line(summary: LeadSummary) -> str:
    """The owner judges a doubtful lead; "" for a lead nothing speaks against."""
    if not summary.suspicious:
        return ""
    return f"⚠️ Şüpheli: {SUSPICIOUS_TR.get(summary.suspicious, summary.suspicious)}"


def admin_path(summary: LeadSummary) -> str:
    """The lead's page in the admin PWA (its router reads #/lead/<id>)."""
    return f"/admin/#/lead/{summary.lead_id}"


def phone_line(summary: LeadSummary) -> str:
    if summary.phone:
        return display_phone(summary.phone)
    return "numara yok: arayan/yazan numarayı yönetim panelinden ekleyin"


def name_line(summary: LeadSummary) -> str:
    return one_line(summary.name)


def city_line(summary: LeadSummary) -> str:
    return one_line(summary.city) or "bilinmiyor"


def headline(summary: LeadSummary) -> str:
    if summary.event == PHONE_ARRIVED:
        return f"Numara geldi: {source_label(summary)}"
    return f"Yeni talep: {source_label(summary)}"


def chat_link(summary: LeadSummary) -> str:
    """wa.me opens a chat with the number in WhatsApp on the owner's phone."""
    return f"https://wa.me/{summary.phone.lstrip('+')}" if summary.phone else ""


# A line of the owner's message: (text, literal) pieces. Literal pieces are what a visitor typed or sent;
# Telegram shows them as code, where it makes no link, number or @mention tappable (issue 27 I).
Line = list[tuple[str, bool]]


def _utf16(text: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def telegram_message(summary: LeadSummary, public_base_url: str = "") -> tuple[str, list[dict[str, Any]]]:
    """The text and its `code` entities. Our own parts stay live: the national-format number is
    tap-to-call, and with the site's public base URL the last line opens the lead in the admin PWA."""
    variant = one_line(summary.variant)
    lines: list[Line] = [
        [(f"🔔 {headline(summary)}", False)],
        [(suspicious_line(summary), False)],
        [("👤 Ad: ", False), (name_line(summary), True)] if name_line(summary) else [("👤 Ad: -", False)],
        [(f"📞 Telefon: {phone_line(summary)}", False)],
        [("📄 Sayfa: ", False), (page_path(summary), True)]
        + ([(" (varyant: ", False), (variant, True), (")", False)] if variant else []),
        [(f"📍 Şehir: {city_line(summary)}", False)],
        [(f"🎯 Google tıklaması: {click_line(summary)}", False)],  # which id field: ours, not typed
    ]
    message = one_line(summary.message)
    if message:
        lines.append([("💬 Mesaj: ", False), (message[:MAX_MESSAGE_CHARS], True)])
    if summary.event == PHONE_ARRIVED:
        lines.append([(f"💚 WhatsApp: {chat_link(summary)}", False)])
    if public_base_url:
        lines.append([(f"🔗 Talep: {public_base_url.rstrip('/')}{admin_path(summary)}", False)])
    text, entities = "", []
    for line in (line for line in lines if "".join(piece for piece, _ in line)):
        text += "\n" if text else ""
        for piece, literal in line:
            if literal and piece:
                entities.append({"type": "code", "offset": _utf16(text), "length": _utf16(piece)})
            text += piece
    return text, entities


def telegram_text(summary: LeadSummary, public_base_url: str = "") -> str:
    return telegram_message(summary, public_base_url)[0]


def _param(text: str) -> str:
    """WhatsApp template parameters refuse newlines, tabs and long runs of spaces, and empty text."""
    return one_line(text)[:MAX_TEMPLATE_PARAM] or "-"


def template_parameters(summary: LeadSummary) -> list[str]:
    """Body parameters {{1}}..{{6}} of the owner's template: name, phone, source, page, city, click."""
    return [
        _param(summary.name),
        _param(phone_line(summary) if summary.phone else "yok"),
        _param(source_label(summary) + (" (numara geldi)" if summary.event == PHONE_ARRIVED else "")),
        _param(page(summary)),
        _param(city_line(summary)),
        _param(click_line(summary)),
    ]


def push_payload(summary: LeadSummary) -> dict[str, str]:
    """What the admin PWA's service worker shows; `tel` makes the notification tap-to-call."""
    doubt = "Şüpheli talep" if summary.suspicious else "Yeni talep"
    city = one_line(summary.city) or "şehir bilinmiyor"
    return {
        "title": f"Numara geldi: {display_phone(summary.phone)}"
        if summary.event == PHONE_ARRIVED
        else f"{doubt}: {name_line(summary) or source_label(summary)}",
        "body": f"{phone_line(summary)} · {source_label(summary)} · {city}"
        f" · Google tıklaması: {click_line(summary)}",
        "lead_id": summary.lead_id,
        "tel": f"tel:{summary.phone}" if summary.phone else "",
        "url": admin_path(summary),
    }
