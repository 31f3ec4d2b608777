"""One sale as Google should see it, built from a `conversions` row and its lead (pure).

Every check Google would make that we can make ourselves happens here, so a bad row fails
with a clear reason before it is sent and never holds back a batch of good ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eslamed.conversions.reasons import UNATTRIBUTED, text
from eslamed.core.clock import ISTANBUL
from eslamed.core.phone import phone_sha256

PENDING, UPLOADED, RETRY, FAILED, SKIPPED = "PENDING", "UPLOADED", "RETRY", "FAILED", "SKIPPED"
MANUAL = "MANUAL"
"""A correction the configured API cannot carry: the owner makes it in the Google Ads UI."""
RETRACTION, RESTATEMENT = "RETRACTION", "RESTATEMENT"
CLICK_WINDOW = timedelta(days=90)
NO_TIME = datetime(1970, 1, 1)
CLOCK_SKEW = timedelta(minutes=10)
MAX_ATTEMPTS = 12
MAX_BACKOFF_S = 6 * 3600
_CLICK_ID = re.compile(r"^[A-Za-z0-9_\-]{10,512}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Sale:
    conversion_id: uuid.UUID
    lead_id: uuid.UUID
    closed_at: datetime
    revenue: Decimal
    currency: str
    gclid: str
    gbraid: str
    wbraid: str
    phone_sha256: str
    consent: bool
    lead_source: str
    clicked_at: datetime | None
    send_alone: bool = False
    """Google rejected it in a request without naming it: only a request of its own tells."""
    conversion_action_id: str = ""
    stage: str = ""
    adjustment: str = ""
    adjusts: str = ""

    @property
    def transaction_id(self) -> str:
        """Stable across retries and free of PII, so Google drops a second copy of the same sale;
        a correction names the sale it corrects (Google matches adjustments by order id)."""
        return self.adjusts or str(self.conversion_id)

    @property
    def click_id(self) -> tuple[str, str]:
        """Google accepts one click id per sale; gclid is the most precise when there are several."""
        for kind in ("gclid", "gbraid", "wbraid"):
            value = getattr(self, kind)
            if value:
                return kind, value
        return "", ""

    @property
    def closed_at_utc(self) -> datetime:
        return self.closed_at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did to one sale; `retry_after_s` None means back off by attempt count."""

    state: str
    reason: str = ""
    retry_after_s: float | None = None
    request_id: str = ""
    keep_trying: bool = False
    """A request or account problem, not this sale's: its attempts never run out (issue 14)."""


def build_sale(row: dict[str, Any], lead: dict[str, Any] | None) -> Sale:
    """The conversion row wins where it carries a value; the lead fills what it lacks."""
    lead = lead or {}

    def pick(name: str) -> str:
        return str(row.get(name) or lead.get(name) or "").strip()

    phone_hash = str(row.get("phone_sha256") or "").strip().lower()
    if not phone_hash and lead.get("phone"):
        phone_hash = phone_sha256(str(lead["phone"]))
    consent = lead["consent"] if "consent" in lead else row.get("consent", 0)
    return Sale(
        conversion_id=row["conversion_id"],
        lead_id=row["lead_id"],
        closed_at=row["closed_at"],
        revenue=Decimal(row["revenue"]),
        currency=(str(row.get("currency") or "TRY")).strip().upper(),
        gclid=pick("gclid"),
        gbraid=pick("gbraid"),
        wbraid=pick("wbraid"),
        phone_sha256=phone_hash,
        consent=bool(consent),
        lead_source=str(lead.get("source") or ""),
        send_alone=UNATTRIBUTED in str(row.get("reason") or ""),
        clicked_at=click_time(lead),
        conversion_action_id=str(row.get("conversion_action_id") or ""),
        stage=str(row.get("stage") or ""),
        adjustment=str(row.get("adjustment") or ""),
        adjusts=str(row.get("adjusts") or ""),
    )


def click_time(lead: dict[str, Any]) -> datetime | None:
    """When the ad click happened: the first event carrying the lead's click id (attribution stores it),
    else the lead's own time for leads stored before click times were kept."""
    clicked = lead.get("clicked_at")
    if clicked is not None and clicked > NO_TIME:
        return clicked
    return lead.get("created_at")


def local_problem(sale: Sale, now: datetime, click_window: timedelta = CLICK_WINDOW) -> Outcome | None:
    """SKIPPED or FAILED with the reason when the sale must not (or cannot) be sent; None when fine.
    `click_window` is the conversion action's click-through window (Google drops older clicks)."""
    if not sale.consent:
        return Outcome(
            SKIPPED, text("Müşteri reklam verisi iznini vermedi", "The customer gave no ad-data consent")
        )
    kind, click = sale.click_id
    if not click and not sale.phone_sha256:
        return Outcome(
            SKIPPED,
            text(
                "Tıklama kimliği ve telefon yok; Google eşleştiremez",
                "No click id and no phone number: Google cannot match this sale",
            ),
        )
    if click and not _CLICK_ID.match(click):
        return Outcome(FAILED, text(f"Tıklama kimliği ({kind}) bozuk", f"The click id ({kind}) is malformed"))
    if sale.phone_sha256 and not _SHA256_HEX.match(sale.phone_sha256):
        return Outcome(FAILED, text("Telefon özeti geçersiz", "The phone hash is not a SHA-256 hex digest"))
    if sale.revenue <= 0:
        return Outcome(
            FAILED, text("Satış tutarı sıfırdan büyük olmalı", "The sale value must be above zero")
        )
    if not re.fullmatch(r"[A-Z]{3}", sale.currency):
        return Outcome(FAILED, text("Para birimi geçersiz", f"Invalid currency code {sale.currency!r}"))
    if sale.closed_at > now + CLOCK_SKEW:
        return Outcome(FAILED, text("Satış tarihi gelecekte", "The sale time is in the future"))
    if sale.clicked_at is not None and sale.closed_at + CLOCK_SKEW < sale.clicked_at:
        return Outcome(
            FAILED, text("Satış tarihi tıklamadan önce görünüyor", "The sale time is before the ad click")
        )
    if click and sale.clicked_at is not None and sale.closed_at - sale.clicked_at > click_window:
        days = click_window.days
        return Outcome(
            FAILED,
            text(
                f"Tıklamanın üzerinden {days} günden fazla geçmiş (dönüşüm işleminin tıklama penceresi)",
                f"The click is older than the conversion action's {days}-day click window",
            ),
        )
    return None


def google_ads_time(moment_utc: datetime) -> str:
    """`yyyy-mm-dd hh:mm:ss+hh:mm` in the business timezone, as UploadClickConversions wants it."""
    local = moment_utc.replace(tzinfo=UTC).astimezone(ISTANBUL)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S") + f"{offset[:3]}:{offset[3:]}"


def next_attempt(attempts: int, now: datetime, retry_after_s: float | None) -> datetime:
    """Exponential backoff from one minute up to six hours, or what Google asked for."""
    delay = retry_after_s if retry_after_s is not None else min(60 * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)
    return now + timedelta(seconds=delay)
