"""Realistic rows for the restore drill and the backup tests: every column type we store,
Turkish text, several versions per lead, events spread over whole days."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from eslamed.core.store import Store

SOURCES = ("google/cpc", "direct", "google/organic", "whatsapp")
PATHS = ("/", "/oksijen-konsantratoru", "/kiralik-oksijen-tupu", "/iletisim")


def events_for_day(day: date, count: int, rng: random.Random) -> list[dict]:
    start = datetime(day.year, day.month, day.day)
    rows = []
    for _ in range(count):
        path = rng.choice(PATHS)
        rows.append(
            {
                "event_id": uuid.UUID(int=rng.getrandbits(128)),
                "type": rng.choice(("pageview", "click_call", "click_whatsapp", "scroll")),
                "ts": start + timedelta(seconds=rng.randrange(86400)),
                "received_at": start + timedelta(seconds=rng.randrange(86400)),
                "visitor_id": f"v{rng.randrange(10**6)}",
                "session_id": f"s{rng.randrange(10**7)}",
                "url": f"https://eslamed.example{path}?gclid=Cj0K{rng.randrange(10**9)}",
                "path": path,
                "title": "Oksijen Konsantratörü Kiralama | İstanbul",
                "source": rng.choice(SOURCES),
                "gclid": f"Cj0K{rng.randrange(10**9)}",
                "city": rng.choice(("İstanbul", "Kadıköy", "Üsküdar")),
                "device": rng.choice(("mobile", "desktop")),
                "props_keys": ["depth"],
                "props_values": [str(rng.randrange(100))],
            }
        )
    return rows


def insert_events(store: Store, days: list[date], per_day: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    total = 0
    for day in days:
        total += store.insert_rows("events", events_for_day(day, per_day, rng))
    return total


def insert_leads_and_sales(store: Store, leads: int, when: datetime, seed: int = 2) -> None:
    """Each lead gets a NEW row and a later CONTACTED row; every fourth one a sale."""
    rng = random.Random(seed)
    lead_rows, sale_rows = [], []
    for n in range(leads):
        lead_id = uuid.UUID(int=rng.getrandbits(128))
        base = {
            "lead_id": lead_id,
            "created_at": when,
            "source": "form",
            "name": f"Ayşe Yılmaz {n}",
            "phone": f"+90532{rng.randrange(10**7):07d}",
            "message": "Annem için oksijen konsantratörü lazım, fiyat?",
            "gclid": f"Cj0K{rng.randrange(10**9)}",
            "consent": 1,
        }
        for version, status in ((1, "NEW"), (2, "CONTACTED")):
            lead_rows.append({**base, "version": version, "status": status, "updated_at": when})
        if n % 4 == 0:
            sale_rows.append(
                {
                    "conversion_id": uuid.UUID(int=rng.getrandbits(128)),
                    "version": 1,
                    "lead_id": lead_id,
                    "created_at": when,
                    "updated_at": when,
                    "closed_at": when,
                    "revenue": Decimal(rng.randrange(100000, 5000000)) / 100,
                    "currency": "TRY",
                    "state": "PENDING",
                }
            )
    store.insert_rows("leads", lead_rows)
    store.insert_rows("conversions", sale_rows)
