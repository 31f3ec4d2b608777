"""Web Push subscriptions of the owner's devices (`push_subscriptions`, newest version wins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response

from eslamed.admin.http import json_body, now_utc, reply, runtime, store
from eslamed.admin.lead_changes import new_version
from eslamed.ingest.validate import ValidationError, check_string

bp = Blueprint("admin_push", __name__, url_prefix="/push")


def _endpoint(body: dict[str, Any]) -> str:
    endpoint = check_string(body.get("endpoint"), "endpoint", 1000)
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError("endpoint must be an https URL from the browser's push service", "endpoint")
    return endpoint


def parse_subscription(body: dict[str, Any]) -> dict[str, str]:
    """The browser's PushSubscription.toJSON(): endpoint and keys {p256dh, auth}."""
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise ValidationError("keys must be an object with p256dh and auth", "keys")
    out = {"endpoint": _endpoint(body)}
    for name in ("p256dh", "auth"):
        value = check_string(keys.get(name), f"keys.{name}", 200)
        if not value or not value.replace("-", "").replace("_", "").replace("=", "").isalnum():
            raise ValidationError(f"keys.{name} must be base64url", f"keys.{name}")
        out[name] = value
    return out


@bp.get("/key")
def public_key() -> Response:
    """The VAPID public key the browser subscribes with; empty when push is not configured."""
    return reply({"public_key": runtime().settings.get("VAPID_PUBLIC_KEY")})


@bp.post("/subscribe")
def subscribe() -> Response:
    sub = parse_subscription(json_body())
    row = {**sub, "version": new_version(), "created_at": now_utc(), "active": 1}
    store().insert_rows("push_subscriptions", [row])
    return reply({"endpoint": sub["endpoint"], "active": True}, 201)


@bp.post("/unsubscribe")
def unsubscribe() -> Response:
    endpoint = _endpoint(json_body())
    row = {
        "endpoint": endpoint,
        "version": new_version(),
        "p256dh": "",
        "auth": "",
        "created_at": now_utc(),
        "active": 0,
    }
    store().insert_rows("push_subscriptions", [row])
    return reply({"endpoint": endpoint, "active": False})
