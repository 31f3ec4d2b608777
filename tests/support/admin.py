"""The Flask app in-process (real ClickHouse, real limiter file) for admin API tests without gunicorn."""

from __future__ import annotations

from pathlib import Path

import requests
from flask import Flask

from eslamed.app import create_flask_app
from eslamed.core.config import load_settings
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse
from eslamed.web.runtime import Runtime
from tests.support.server import base_env

SECRET = "test-admin-secret-0123456789abcdef"
AUTH = {"X-Admin-Secret": SECRET}


def admin_app(clickhouse: LocalClickHouse, store: Store, workdir: Path, **env: str) -> Flask:
    values = base_env(clickhouse.url, store.database, workdir)
    values.update(env)
    return create_flask_app(Runtime.build(load_settings(env=values)))


def confirm_sale(base_url: str, lead_id: str, revenue: str) -> dict:
    """ "Satış Onayla" on a running server, as the PWA posts it; the sale row as the API answers it."""
    sale = requests.post(
        f"{base_url}/api/admin/leads/{lead_id}/convert",
        json={"revenue": revenue, "deal_type": "satis"},
        headers=AUTH,
        timeout=10,
    )
    assert sale.status_code == 201, sale.text
    return sale.json()
