"""Attribution of a lead to the Google Ads click that brought the visitor.

The browser sends the click id it kept, but a visitor who came from an ad last week and
returns directly today sends none; then the newest click id from the same `visitor_id` in
`events` (90 days, Google's click-conversion window) is attached, and the origin is recorded
so the owner can tell a direct click from one recovered from history. The click's own time (the
first event that carried the click id) is kept too: Google's click windows count from the click,
not from the lead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from eslamed.core.sql import leads as sql
from eslamed.core.store import Store
from eslamed.ingest.source import classify_source
from eslamed.ingest.urls import split_url
from eslamed.leads.validate import CLICK_FIELDS, TEXT_FIELDS, UTM_FIELDS

WINDOW = timedelta(days=90)
DIRECT = "direct"
VISITOR_HISTORY = "visitor_history"
VISIT_KEY = "visit_key"  # issue 22: found through the cookieless visit key, without consent


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
    origin: str = VISITOR_HISTORY
    """How the events were found: the visitor_id (consent) or the visit key (none)."""

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
        out["click_id_origin"] = history.origin
    else:
        out["click_id_origin"] = ""
    # 0 when no event carried the click id: the upload then counts from the lead's own time.
    out["clicked_at"] = history.clicked_at if any(out[f] for f in CLICK_FIELDS) else 0.0
    own_source = classify_source(
        any(lead[f] for f in CLICK_FIELDS), lead["utm_medium"], lead["utm_source"], "", own_hosts
    )
    out["landing_page"] = history.landing_page or lead["url"]
    if history.landing_page and not any(lead[f] for f in UTM_FIELDS):
        out.update(landing_utm(history.landing_page))
    out["first_source"] = history.first_source or own_source
    out["last_source"] = history.last_source or own_source
    return out


def landing_utm(url: str) -> dict[str, str]:
    """The utm fields of the visit's landing URL: a lead made on a later page of a visit without consent
    has none of its own (tracking.js keeps them in the landing page's memory only)."""
    parts = split_url(url)
    values = parse_qs(parts.query) if parts else {}
    return {f: (values.get(f) or [""])[0][: TEXT_FIELDS[f][0]] for f in UTM_FIELDS}


def lookup_history(
    store: Store,
    visitor_id: str,
    now: datetime,
    click: tuple[str, str, str] = ("", "", ""),
    visit_key: str = "",
) -> VisitHistory:
    """The visitor's click id and journey from `events`, and when the click happened: of `click`
    (gclid, gbraid, wbraid the lead brought) or else of the recovered one. A visitor with consent is
    found by visitor_id; one without, by the visit key of this request (same browser, same day).
    Raises StoreUnavailable."""
    if visitor_id:
        history_sql, click_sql, origin = sql.VISITOR_HISTORY, sql.CLICK_TIME, VISITOR_HISTORY
    elif visit_key:
        history_sql, click_sql, origin = sql.VISIT_HISTORY, sql.VISIT_CLICK_TIME, VISIT_KEY
    else:
        return NO_HISTORY
    params = {"visitor_id": visitor_id, "visit_key": visit_key, "since": now - WINDOW}
    rows = store.query(history_sql.format(db=store.database), params)
    found = VisitHistory(*rows[0], origin=origin) if rows else VisitHistory(origin=origin)
    gclid, gbraid, wbraid = click if any(click) else (found.gclid, found.gbraid, found.wbraid)
    if not (gclid or gbraid or wbraid):
        return found
    params.update(gclid=gclid, gbraid=gbraid, wbraid=wbraid)
    [(first,)] = store.query(click_sql.format(db=store.database), params)
    clicked_at = first.replace(tzinfo=UTC).timestamp() if first.year > 1970 else 0.0
    return replace(found, clicked_at=clicked_at)
