"""'Satış Onayla': turning a lead into a `conversions` row that waits (PENDING) for the uploader."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eslamed.core.clock import ISTANBUL
from eslamed.core.phone import phone_sha256
from eslamed.core.problems import Problem

DEAL_TYPES = ("satis", "kiralama")
CURRENCY = "TRY"
MAX_REVENUE = Decimal("100000000")
AMOUNT = re.compile(r"[1-9][0-9]{0,7}(\.[0-9]{1,2})?")
MIN_REVENUE = Decimal("0.01")
# Conversion ids are uuid5 under this namespace, so the same sale asked twice gets the same id.
NAMESPACE = uuid.UUID("6f1d3a52-5c1e-4a8e-9a57-2f0f5b6a9c41")


def parse_revenue(value: Any) -> Decimal:
    """A positive TRY amount: a JSON number (rounded to kuruş) or digits with at most two decimals."""
    if isinstance(value, str):
        if not AMOUNT.fullmatch(value):
            raise Problem("revenue must be digits with at most two decimals, e.g. 15000.50", "revenue")
        return Decimal(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not MIN_REVENUE <= value <= MAX_REVENUE
    ):
        raise Problem("revenue must be a number from 0.01 to 100000000", "revenue")
    return Decimal(repr(value)).quantize(MIN_REVENUE, ROUND_HALF_UP)


def parse_deal_type(value: Any) -> str:
    if value not in DEAL_TYPES:
        raise Problem(f"deal_type must be one of {', '.join(DEAL_TYPES)}", "deal_type")
    return value


EARLIEST_SALE = datetime(2000, 1, 1)
"""No sale of this business closed before it; ClickHouse's DateTime cannot hold a year like 0617 anyway."""


def parse_closed_at(value: Any, now: datetime) -> datetime:
    """A date (Istanbul) or ISO datetime; a date means noon that day, capped at now. Naive UTC out."""
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        raise Problem("closed_at must be a date like 2026-11-26", "closed_at")
    try:
        if len(value) == 10:
            local = datetime.combine(date.fromisoformat(value), time(12), ISTANBUL)
        else:
            local = datetime.fromisoformat(value)
            local = local if local.tzinfo else local.replace(tzinfo=ISTANBUL)
    except ValueError as exc:
        raise Problem("closed_at must be a date like 2026-11-26", "closed_at") from exc
    closed = local.astimezone(UTC).replace(tzinfo=None)
    if closed > now + timedelta(days=1):
        raise Problem("closed_at is in the future", "closed_at")
    if closed < EARLIEST_SALE:
        raise Problem(f"closed_at must be after {EARLIEST_SALE:%Y-%m-%d}", "closed_at")
    return min(closed, now)


def conversion_id(lead_id: str, deal_seq: int, idempotency_key: str = "") -> str:
    """Deterministic: a retried request maps to the row it already created."""
    name = f"{lead_id}:key:{idempotency_key}" if idempotency_key else f"{lead_id}:deal:{deal_seq}"
    return str(uuid.uuid5(NAMESPACE, name))


def conversion_row(
    lead: dict[str, Any],
    cid: str,
    deal_seq: int,
    revenue: Decimal,
    deal_type: str,
    closed_at: datetime,
    now: datetime,
    version: int,
) -> dict[str, Any]:
    """Click ids, hashed phone and consent are copied from the lead: they are what Google matches on."""
    return {
        "conversion_id": uuid.UUID(cid),
        "version": version,
        "lead_id": lead["lead_id"],
        "created_at": now,
        "updated_at": now,
        "closed_at": closed_at,
        "revenue": revenue,
        "currency": CURRENCY,
        "deal_type": deal_type,
        "deal_seq": deal_seq,
        "gclid": lead["gclid"],
        "gbraid": lead["gbraid"],
        "wbraid": lead["wbraid"],
        "phone_sha256": phone_sha256(lead["phone"]),
        "consent": lead["consent"],
        "state": "PENDING",
        "attempts": 0,
        "reason": "",
        "next_attempt_at": now,
        "backend": "",
        "request_id": "",
    }


# ---- lead stages and corrections --------------------------------------------------------------
STAGE_VERSION = 1
"""A stage row is first written with the lowest version: written again (a retried request, a second
CONTACTED) it never hides the upload state a later version recorded."""


def stage_conversion_id(lead_id: str, stage: str) -> str:
    """One conversion per lead and stage, the same id however often the lead enters the stage."""
    return str(uuid.uuid5(NAMESPACE, f"{lead_id}:stage:{stage}"))


def stage_row(
    lead: dict[str, Any], stage: str, action_id: str, value: Decimal, now: datetime
) -> dict[str, Any]:
    cid = stage_conversion_id(str(lead["lead_id"]), stage)
    row = conversion_row(lead, cid, 0, value, "", now, now, STAGE_VERSION)
    row.update(stage=stage, conversion_action_id=action_id)
    return row


def correction_row(
    sale: dict[str, Any], adjustment: str, revenue: Decimal, seq: int, now: datetime, version: int
) -> dict[str, Any]:
    """A RETRACTION / RESTATEMENT of an uploaded sale: its own row with its own upload state, naming
    the sale (`adjusts`) whose order id Google matches it by."""
    cid = str(uuid.uuid5(NAMESPACE, f"{sale['conversion_id']}:correction:{seq}"))
    row = {k: v for k, v in sale.items() if k != "version_max"}
    row.update(
        conversion_id=uuid.UUID(cid),
        version=version,
        created_at=now,
        updated_at=now,
        closed_at=now,
        revenue=revenue,
        state="PENDING",
        attempts=0,
        reason="",
        next_attempt_at=now,
        backend="",
        request_id="",
        adjustment=adjustment,
        adjusts=str(sale["conversion_id"]),
    )
    return row
