"""What the owner reads when a lead arrives, in Turkish; pure functions over a `LeadSummary`.

All output is plain text (Telegram without parse_mode, template parameters, a JSON push
payload): whatever a visitor typed, script tags included, is shown as text, never as HTML.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from eslamed.phone import display_phone

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


def page(summary: LeadSummary) -> str:
    path = urlsplit(summary.url).path if summary.url else ""
    where = path or summary.url or "-"
    return f"{where} (varyant: {summary.variant})" if summary.variant else where


def source_label(summary: LeadSummary) -> str:
    return SOURCE_TR.get(summary.source, summary.source)


def click_line(summary: LeadSummary) -> str:
    return f"var ({summary.click_id})" if summary.click_id else "yok"


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


def headline(summary: LeadSummary) -> str:
    if summary.event == PHONE_ARRIVED:
        return f"Numara geldi: {source_label(summary)}"
    return f"Yeni talep: {source_label(summary)}"


def chat_link(summary: LeadSummary) -> str:
    """wa.me opens a chat with the number in WhatsApp on the owner's phone."""
    return f"https://wa.me/{summary.phone.lstrip('+')}" if summary.phone else ""


def telegram_text(summary: LeadSummary, public_base_url: str = "") -> str:
    """National-format numbers in plain text are tap-to-call in Telegram's apps; with the site's public
    base URL configured, the last line opens the lead in the admin PWA."""
    lines = [
        f"🔔 {headline(summary)}",
        suspicious_line(summary),
        f"👤 Ad: {summary.name or '-'}",
        f"📞 Telefon: {phone_line(summary)}",
        f"📄 Sayfa: {page(summary)}",
        f"📍 Şehir: {summary.city or 'bilinmiyor'}",
        f"🎯 Google tıklaması: {click_line(summary)}",
    ]
    if summary.message:
        lines.append(f"💬 Mesaj: {summary.message[:MAX_MESSAGE_CHARS]}")
    if summary.event == PHONE_ARRIVED:
        lines.append(f"💚 WhatsApp: {chat_link(summary)}")
    if public_base_url:
        lines.append(f"🔗 Talep: {public_base_url.rstrip('/')}{admin_path(summary)}")
    return "\n".join(line for line in lines if line)


def _param(text: str) -> str:
    """WhatsApp template parameters refuse newlines, tabs and long runs of spaces, and empty text."""
    return " ".join(text.split())[:MAX_TEMPLATE_PARAM] or "-"


def template_parameters(summary: LeadSummary) -> list[str]:
    """Body parameters {{1}}..{{6}} of the owner's template: name, phone, source, page, city, click."""
    return [
        _param(summary.name),
        _param(phone_line(summary) if summary.phone else "yok"),
        _param(source_label(summary) + (" (numara geldi)" if summary.event == PHONE_ARRIVED else "")),
        _param(page(summary)),
        _param(summary.city or "bilinmiyor"),
        _param(click_line(summary)),
    ]


def push_payload(summary: LeadSummary) -> dict[str, str]:
    """What the admin PWA's service worker shows; `tel` makes the notification tap-to-call."""
    doubt = "Şüpheli talep" if summary.suspicious else "Yeni talep"
    return {
        "title": f"Numara geldi: {display_phone(summary.phone)}"
        if summary.event == PHONE_ARRIVED
        else f"{doubt}: {summary.name or source_label(summary)}",
        "body": f"{phone_line(summary)} · {source_label(summary)} · {summary.city or 'şehir bilinmiyor'}"
        f" · Google tıklaması: {click_line(summary)}",
        "lead_id": summary.lead_id,
        "tel": f"tel:{summary.phone}" if summary.phone else "",
        "url": admin_path(summary),
    }
