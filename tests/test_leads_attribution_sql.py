"""The visitor-history query on the real ClickHouse (18.16): window, newest click id, landing page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from eslamed.leads.attribution import NO_HISTORY, lookup_history


def _event(visitor: str, ts: datetime, **fields: str) -> dict:
    row = {
        "event_id": uuid.uuid4(),
        "type": "pageview",
        "ts": ts,
        "received_at": ts,
        "visitor_id": visitor,
        "session_id": "s-old",
        "url": "https://eslamed.example/",
        "source": "organic",
        "gclid": "",
        "gbraid": "",
        "wbraid": "",
    }
    row.update(fields)
    return row


def test_history_takes_newest_click_in_90_days_and_landing_page_of_last_session(store) -> None:
    now = datetime(2026, 11, 20, 12, 0, 0)
    visitor = "v-" + uuid.uuid4().hex
    store.insert_rows(
        "events",
        [
            _event(visitor, now - timedelta(days=120), gclid="TOO-OLD", source="paid"),
            _event(visitor, now - timedelta(days=30), source="organic", url="https://eslamed.example/blog"),
            _event(visitor, now - timedelta(days=10), gclid="G-OLDER", source="paid"),
            _event(visitor, now - timedelta(days=2), wbraid="WB-NEWEST", source="paid", session_id="s-ad"),
            _event(
                visitor,
                now - timedelta(hours=1),
                session_id="s-last",
                source="direct",
                url="https://eslamed.example/acil",
            ),
            _event(
                visitor,
                now - timedelta(minutes=30),
                session_id="s-last",
                source="direct",
                url="https://eslamed.example/fiyat",
            ),
            _event(visitor, now - timedelta(minutes=20), session_id="s-last", type="call_click", url="x"),
            _event("someone-else", now - timedelta(minutes=5), gclid="NOT-MINE", source="paid"),
        ],
    )
    history = lookup_history(store, visitor, now)
    assert (history.gclid, history.gbraid, history.wbraid) == ("", "", "WB-NEWEST")
    assert (history.first_source, history.last_source) == ("organic", "direct")
    assert history.landing_page == "https://eslamed.example/acil"
    assert lookup_history(store, "never-seen", now).has_click is False
    assert lookup_history(store, "", now) == NO_HISTORY
