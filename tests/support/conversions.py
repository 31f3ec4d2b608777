"""Seed leads and PENDING sales the way the admin's "Satış Onayla" does, and read upload states."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eslamed.core.config import Settings, load_settings
from eslamed.core.sql import conversions as sql
from eslamed.core.store import Store
from tests.support.server import base_env

PHONE = "+905321234567"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def seed_lead(store: Store, clicked_at: datetime, **fields: Any) -> uuid.UUID:
    lead_id = uuid.uuid4()
    row = {
        "lead_id": lead_id,
        "version": time.time_ns(),
        "created_at": clicked_at,
        "updated_at": clicked_at,
        "status": "CONVERTED",
        "source": "form",
        "name": "Ayşe Yılmaz",
        "phone": PHONE,
        "gclid": f"Cj0KCQiA{uuid.uuid4().hex}",
        "consent": 1,
    }
    row.update(fields)
    store.insert_rows("leads", [row])
    return lead_id


def seed_sale(store: Store, lead_id: uuid.UUID, closed_at: datetime, revenue: str = "15000.00") -> uuid.UUID:
    conversion_id = uuid.uuid4()
    store.insert_rows(
        "conversions",
        [
            {
                "conversion_id": conversion_id,
                "version": time.time_ns(),
                "lead_id": lead_id,
                "created_at": closed_at,
                "updated_at": closed_at,
                "closed_at": closed_at,
                "revenue": Decimal(revenue),
                "currency": "TRY",
                "deal_type": "sale",
                "deal_seq": 1,
                "state": "PENDING",
            }
        ],
    )
    return conversion_id


def latest(store: Store) -> dict[uuid.UUID, dict[str, Any]]:
    rows = store.query_dicts(("SELECT * FROM (" + sql.LATEST + ")").format(db=store.database))
    return {row["conversion_id"]: row for row in rows}


def history(store: Store, conversion_id: uuid.UUID) -> list[dict[str, Any]]:
    return store.query_dicts(sql.HISTORY.format(db=store.database), {"ids": (conversion_id,)})


def ads_env(backend: str, endpoint: str, ca_file: str, token_uri: str) -> dict[str, str]:
    return {
        "GOOGLE_ADS_UPLOAD_BACKEND": backend,
        "GOOGLE_ADS_CUSTOMER_ID": "123-456-7890",
        "GOOGLE_ADS_CONVERSION_ACTION_ID": "987654321",
        "GOOGLE_ADS_DEVELOPER_TOKEN": "dev-token-allowlisted",
        "GOOGLE_ADS_CLIENT_ID": "client-id.apps.googleusercontent.com",
        "GOOGLE_ADS_CLIENT_SECRET": "client-secret",
        "GOOGLE_ADS_REFRESH_TOKEN": "1//refresh-token",
        "GOOGLE_ADS_TOKEN_URI": token_uri,
        "GOOGLE_ADS_CA_FILE": ca_file,
        "GOOGLE_ADS_ENDPOINT": endpoint,
        "DATAMANAGER_ENDPOINT": endpoint,
        "GOOGLE_ADS_TIMEOUT_S": "10",
    }


def settings_for(clickhouse_url: str, store: Store, workdir, **env: str) -> Settings:
    values = base_env(clickhouse_url, store.database, workdir)
    values.update(env)
    return load_settings(env=values)
