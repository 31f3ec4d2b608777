"""Attribution of a lead to the Google Ads click that brought the visitor.

The browser sends the click id it kept, but a visitor who came from an ad last week and
returns directly today sends none; then the newest click id from the same `visitor_id` in
`events` (90 days, Google's click-conversion window) is attached, and the origin is recorded
so the owner can tell a direct click from one recovered from history. The click's own time (the
first event that carried the click id) is kept too: Google's click windows count from the click,
not from the lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eslamed.ingest.source import classify_source
from eslamed.leads.validate import CLICK_FIELDS
from eslamed.sql import leads as sql
from eslamed.store import Store

WINDOW = timedelta(days=90)
DIRECT = "direct"
VISITOR_HISTORY = "visitor_history"


@dataclass(frozen=True)
class VisitHistory:
    gclid: str = ""
    gbraid: str = ""
    wbraid: str = ""
    first_source: str = ""
    last_source: str = ""
    landing_page: str = ""
    clicked_at: float = 0.0
    """Epoch seconds of the first event carrying the lead's click id (0: none seen)."""

    @property
    def has_click(self) -> bool:
        return bool(self.gclid or self.gbraid or self.wbraid)


NO_HISTORY = VisitHistory()


def attribute(lead: dict[str, Any], history: VisitHistory, own_hosts: frozenset[str]) -> dict[str, Any]:
    """The lead with click id, its origin, landing page and first/last source filled in."""
    out = dict(lead)
    if any(lead[f] for f in CLICK_FIELDS):
        out["click_id_origin"] = DIRECT
    elif history.has_click:
        out.update(gclid=history.gclid, gbraid=history.gbraid, wbraid=history.wbraid)
        out["click_id_origin"] = VISITOR_HISTORY
    else:
        out["click_id_origin"] = ""
    # 0 when no event carried the click id: the upload then counts from the lead's own time.
    out["clicked_at"] = history.clicked_at if any(out[f] for f in CLICK_FIELDS) else 0.0
    own_source = classify_source(
        any(lead[f] for f in CLICK_FIELDS), lead["utm_medium"], lead["utm_source"], "", own_hosts
    )
    out["landing_page"] = history.landing_page or lead["url"]
    out["first_source"] = history.first_source or own_source
    out["last_source"] = history.last_source or own_source
    return out


def lookup_history(
    store: Store, visitor_id: str, now: datetime, click: tuple[str, str, str] = ("", "", "")
) -> VisitHistory:
    """The visitor's click id and journey from `events`, and when the click happened: of `click`
    (gclid, gbraid, wbraid the lead brought) or else of the recovered one. Raises StoreUnavailable."""
    if not visitor_id:
        return NO_HISTORY
    params = {"visitor_id": visitor_id, "since": now - WINDOW}
    rows = store.query(sql.VISITOR_HISTORY.format(db=store.database), params)
    history = VisitHistory(*rows[0]) if rows else NO_HISTORY
    gclid, gbraid, wbraid = click if any(click) else (history.gclid, history.gbraid, history.wbraid)
    if not (gclid or gbraid or wbraid):
        return history
    params.update(gclid=gclid, gbraid=gbraid, wbraid=wbraid)
    [(first,)] = store.query(sql.CLICK_TIME.format(db=store.database), params)
    clicked_at = first.replace(tzinfo=UTC).timestamp() if first.year > 1970 else 0.0
    return VisitHistory(*rows[0], clicked_at=clicked_at) if rows else VisitHistory(clicked_at=clicked_at)
