"""Seeding `events` rows directly, for journeys and stats with known answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

EVENT_DEFAULTS: dict[str, Any] = {
    "type": "pageview",
    "visitor_id": "",
    "session_id": "",
    "url": "https://eslamed.example/",
    "path": "/",
    "ref": "",
    "ref_host": "",
    "title": "",
    "source": "direct",
    "gclid": "",
    "gbraid": "",
    "wbraid": "",
    "utm_source": "",
    "utm_medium": "",
    "utm_campaign": "",
    "utm_term": "",
    "utm_content": "",
    "variant": "",
    "country": "TR",
    "subdivision": "",
    "city": "",
    "device": "mobile",
    "browser": "Chrome",
    "os": "Android",
    "screen": "390x844",
    "lang": "tr",
    "props_keys": [],
    "props_values": [],
}


def event_row(ts: datetime, **fields: Any) -> dict[str, Any]:
    unknown = set(fields) - set(EVENT_DEFAULTS) - {"event_id"}
    if unknown:
        raise KeyError(f"not event columns: {sorted(unknown)}")
    row = {"event_id": uuid.uuid4(), **EVENT_DEFAULTS, "ts": ts, "received_at": ts, **fields}
    if "path" not in fields:
        row["path"] = urlsplit(row["url"]).path or "/"
    return row
