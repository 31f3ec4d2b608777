"""Web Push subscriptions of the owner's devices (`push_subscriptions`, newest version wins)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response

from eslamed.admin.http import json_body, runtime, store
from eslamed.core.problems import Problem
from eslamed.ingest.urls import split_url
from eslamed.ingest.validate import check_string
from eslamed.notify import subscriptions, vapid
from eslamed.web.edge import reply

LOOPBACK = ("127.0.0.1", "localhost", "::1")
HOST = re.compile(r"[A-Za-z0-9.:_-]+")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+=*")  # the pattern openapi.yaml documents for both keys

bp = Blueprint("admin_push", __name__, url_prefix="/push")


def _endpoint(body: dict[str, Any]) -> str:
    endpoint = check_string(body.get("endpoint"), "endpoint", 1000)
    parts = split_url(endpoint)
    scheme, host = (parts.scheme, parts.hostname or "") if parts else ("", "")
    local = scheme == "http" and host in LOOPBACK
    if not (scheme == "https" or local) or not HOST.fullmatch(host):
        raise Problem("endpoint must be an https URL from the browser's push service", "endpoint")
    return endpoint


def parse_subscription(body: dict[str, Any]) -> dict[str, str]:
    """The browser's PushSubscription.toJSON(): endpoint and keys {p256dh, auth}."""
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise Problem("keys must be an object with p256dh and auth", "keys")
    out = {"endpoint": _endpoint(body)}
    for name in ("p256dh", "auth"):
        value = check_string(keys.get(name), f"keys.{name}", 200)
        if not BASE64URL.fullmatch(value):
            raise Problem(f"keys.{name} must be base64url", f"keys.{name}")
        out[name] = value
    return out


@bp.get("/key")
def public_key() -> Response:
    """The VAPID public key the browser subscribes with; empty when push is not configured."""
    webpush = runtime().settings.integrations.webpush
    private = webpush.private_key if webpush else ""
    return reply({"public_key": vapid.public_key(private) if private else ""})


@bp.post("/subscribe")
def subscribe() -> Response:
    sub = parse_subscription(json_body())
    subscriptions.save(store(), sub["endpoint"], sub["p256dh"], sub["auth"])
    return reply({"endpoint": sub["endpoint"], "active": True}, 201)


@bp.post("/unsubscribe")
def unsubscribe() -> Response:
    endpoint = _endpoint(json_body())
    subscriptions.deactivate(store(), {"address": endpoint, "p256dh": "", "auth": ""})
    return reply({"endpoint": endpoint, "active": False})
