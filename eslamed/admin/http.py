"""Small request helpers shared by the admin route modules: parse the request, find the runtime."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from flask import current_app, request

from eslamed.core.problems import Problem
from eslamed.core.store import Store
from eslamed.ingest.validate import parse_json, parse_uuid
from eslamed.web.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["eslamed"]


def store() -> Store:
    return runtime().store


def json_body() -> dict[str, Any]:
    body = parse_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise Problem("body must be a JSON object", "")
    return body


def lead_uuid(raw: str) -> uuid.UUID:
    return uuid.UUID(parse_uuid(raw, "lead_id"))


def conversion_uuid(raw: str) -> uuid.UUID:
    return uuid.UUID(parse_uuid(raw, "conversion_id"))


def encode_cursor(created_at: datetime, lead_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{lead_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        stamp, lead_id = text.split("|", 1)
        return datetime.fromisoformat(stamp), str(uuid.UUID(lead_id))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem("cursor is not one this server gave out", "cursor") from exc
