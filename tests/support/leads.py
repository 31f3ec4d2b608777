"""Creating leads for tests: through the real POST /api/lead, or seeded rows until that route exists."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from eslamed.store import Store

BROWSER_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)


def post_lead(server_url: str, **fields: Any) -> requests.Response:
    """POST /api/lead per the helper contract (JSON body); fields override the defaults."""
    body = {
        "lead_id": str(uuid.uuid4()),
        "name": "Test Müşteri",
        "phone": "0532 123 45 67",
        "message": "",
        "source": "form",
        "consent": True,
        "website": "",
        "fill_ms": 8000,
        **fields,
    }
    return requests.post(
        f"{server_url}/api/lead",
        json=body,
        headers={"User-Agent": BROWSER_UA, "Origin": "https://eslamed.example"},
        timeout=10,
    )


def lead_route_exists(server_url: str) -> bool:
    """False until the lead branch is merged: Flask answers an unknown route with 404."""
    probe = requests.post(f"{server_url}/api/lead", json={}, headers={"User-Agent": BROWSER_UA}, timeout=5)
    return probe.status_code != 404


def lead_row(**fields: Any) -> dict[str, Any]:
    """A complete `leads` row as the lead endpoint would store it."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    row: dict[str, Any] = {
        "lead_id": uuid.uuid4(),
        "version": time.time_ns(),
        "created_at": now,
        "updated_at": now,
        "status": "NEW",
        "source": "form",
        "name": "Test Müşteri",
        "phone": "+905321234567",
        "message": "",
        "url": "https://eslamed.example/oksijen-konsantratoru",
        "variant": "a",
        "gclid": "",
        "gbraid": "",
        "wbraid": "",
        "click_id_origin": "",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
        "utm_term": "",
        "utm_content": "",
        "visitor_id": "",
        "consent": 1,
        "landing_page": "",
        "first_source": "direct",
        "last_source": "direct",
        "country": "TR",
        "subdivision": "",
        "city": "Istanbul",
        "device": "mobile",
        "browser": "Chrome",
        "os": "Android",
        "spam_reason": "",
        "note": "",
    }
    unknown = set(fields) - set(row)
    if unknown:
        raise KeyError(f"not lead columns: {sorted(unknown)}")
    row.update(fields)
    if isinstance(row["lead_id"], str):
        row["lead_id"] = uuid.UUID(row["lead_id"])
    return row


def seed_lead(store: Store, **fields: Any) -> dict[str, Any]:
    """Insert one lead row directly (stands in for POST /api/lead until that branch is merged)."""
    row = lead_row(**fields)
    store.insert_rows("leads", [row])
    return row
