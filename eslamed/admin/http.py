"""Small request/response helpers shared by the admin route modules."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from flask import Response, abort, current_app, request

from eslamed.core.store import Store
from eslamed.ingest.validate import ValidationError, parse_json, parse_uuid
from eslamed.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["eslamed"]


def store() -> Store:
    return runtime().store


def now_utc() -> datetime:
    """Naive UTC to the second, the way ClickHouse DateTime columns hold time."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"cannot serialise {type(value).__name__}")


def reply(body: Any, status: int = 200) -> Response:
    """JSON with ISO-8601 UTC times ('…+00:00'), UUIDs as strings and money as '15000.00'."""
    data = orjson.dumps(body, default=_default, option=orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS)
    return Response(data, status=status, mimetype="application/json")


def json_body() -> dict[str, Any]:
    body = parse_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object", "")
    return body


def lead_uuid(raw: str) -> uuid.UUID:
    return uuid.UUID(parse_uuid(raw, "lead_id"))


def fail(status: int, message: str, message_tr: str, **extra: Any) -> None:
    """Stop the request with a JSON error the PWA can show as is."""
    abort(reply({"error": message, "message_tr": message_tr, **extra}, status))


def encode_cursor(created_at: datetime, lead_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{lead_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        stamp, lead_id = text.split("|", 1)
        return datetime.fromisoformat(stamp), str(uuid.UUID(lead_id))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("cursor is not one this server gave out", "cursor") from exc
