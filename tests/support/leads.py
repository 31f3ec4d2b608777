"""Creating leads in tests: bodies posted to the real POST /api/lead, or exact rows seeded into ClickHouse
for tests that need fixed timestamps and statuses; plus notification peer settings."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from eslamed.core.store import Store
from tests.support.clients import BROWSER_UA
from tests.support.peers import Peer

SITE = "https://eslamed.example"


def form_lead(**fields: object) -> dict:
    body = {
        "lead_id": str(uuid.uuid4()),
        "name": "Ayşe Yılmaz",
        "phone": "0532 123 45 67",
        "message": "Annem için oksijen konsantratörü lazım",
        "source": "form",
        "url": "https://eslamed.example/oksijen-konsantratoru?gclid=x",
        "variant": "acil",
        "visitor_id": str(uuid.uuid4()),
        "consent": True,
        "website": "",
        "fill_ms": 8200,
    }
    body.update(fields)
    return body


def post_lead(base_url: str, body: dict, **kwargs: object) -> requests.Response:
    headers = {"User-Agent": BROWSER_UA, "Origin": SITE, **kwargs.pop("headers", {})}
    return requests.post(f"{base_url}/api/lead", json=body, headers=headers, timeout=10, **kwargs)


def lead_env(
    telegram: Peer | None = None, whatsapp: Peer | None = None, vapid_key: str = ""
) -> dict[str, str]:
    """Server settings for lead tests: fast retries and no rate limit."""
    env = {
        "NOTIFY_RETRY_S": "0.3",
        "NOTIFY_SWEEP_S": "0.2",
        "LEAD_RATE_LIMIT": "1000/minute",
    }
    if telegram:
        env.update(
            TELEGRAM_API_BASE=telegram.url, TELEGRAM_BOT_TOKEN="123:test-token", TELEGRAM_CHAT_ID="-1001"
        )
    if whatsapp:
        env.update(
            WHATSAPP_API_BASE=whatsapp.url,
            WHATSAPP_API_VERSION="v21.0",
            WHATSAPP_PHONE_NUMBER_ID="1098765",
            WHATSAPP_TOKEN="wa-test-token",
            WHATSAPP_TEMPLATE="yeni_talep",
            WHATSAPP_OWNER_NUMBER="+905551112233",
        )
    if vapid_key:
        env.update(VAPID_PRIVATE_KEY=vapid_key, VAPID_SUBJECT="mailto:owner@eslamed.example")
    return env


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
    """Insert one lead row directly, for tests that need exact timestamps, statuses and versions."""
    row = lead_row(**fields)
    store.insert_rows("leads", [row])
    return row
