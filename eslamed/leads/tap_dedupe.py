"""One call / WhatsApp lead per visitor, channel and visit.

A tap carries no name or phone, so a second tap in the same visit (another page, a reload) adds
nothing for the owner but an "(isimsiz) Telefon yok" row and a notification; it is answered with
the lead the first tap made. Without consent there is no visitor id and each page view stands
alone (site.js already sends one lead per channel per page view).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from eslamed.core.sql import leads as sql
from eslamed.core.store import Store

TAP_SOURCES = frozenset({"call", "whatsapp"})
# Older taps cannot be in the visit going on unless the visitor was active all that time.
LOOKBACK = timedelta(days=1)


def is_tap(record: dict[str, Any]) -> bool:
    return record["source"] in TAP_SOURCES and bool(record["visitor_id"])


def lead_of_visit(store: Store, record: dict[str, Any]) -> tuple[str, str] | None:
    """(lead_id, status) of the tap lead this visit already made on this channel, or None."""
    if not is_tap(record):
        return None
    now = datetime.fromtimestamp(record["created_at"], UTC).replace(tzinfo=None)
    params = {
        "visitor_id": record["visitor_id"],
        "source": record["source"],
        "since": now - LOOKBACK,
        "now": now,
    }
    rows = store.query(sql.TAP_LEAD_IN_VISIT.format(db=store.database), params)
    return (rows[0][0], rows[0][1]) if rows else None
