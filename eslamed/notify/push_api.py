"""Web Push for admin devices: GET /api/admin/push/key, POST /api/admin/push/subscribe."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from eslamed.notify import subscriptions, vapid
from eslamed.store import StoreUnavailable

bp = Blueprint("push_api", __name__)

MAX_FIELD = 2048


def _authorized() -> bool:
    secret = current_app.extensions["eslamed"].settings.admin_secret
    given = request.headers.get("X-Admin-Secret", "")
    return hmac.compare_digest(given.encode(), secret.encode())


@bp.get("/api/admin/push/key")
def vapid_key() -> tuple[Response, int]:
    """The admin PWA needs the VAPID public key to subscribe; 404 while Web Push is not configured."""
    if not _authorized():
        return jsonify(error="unauthorized"), 401
    private = current_app.extensions["eslamed"].settings.get("VAPID_PRIVATE_KEY")
    if not private:
        return jsonify(error="VAPID_PRIVATE_KEY is not set"), 404
    return jsonify(public_key=vapid.public_key(private)), 200


@bp.post("/api/admin/push/subscribe")
def subscribe() -> tuple[Response, int]:
    if not _authorized():
        return jsonify(error="unauthorized"), 401
    data = request.get_json(silent=True)
    keys = data.get("keys") if isinstance(data, dict) else None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not isinstance(endpoint, str):
        return jsonify(error="send the PushSubscription JSON: endpoint and keys.p256dh, keys.auth"), 400
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    fields = (endpoint, p256dh, auth)
    if not all(isinstance(f, str) and 0 < len(f) <= MAX_FIELD for f in fields):
        return jsonify(error="endpoint, keys.p256dh and keys.auth must be non-empty strings"), 400
    if urlsplit(endpoint).scheme not in ("https", "http"):
        return jsonify(error="endpoint must be an http(s) URL"), 400
    try:
        subscriptions.save(current_app.extensions["eslamed"].store, endpoint, p256dh, auth)
    except StoreUnavailable:
        return jsonify(error="storage unavailable, retry later"), 503
    return jsonify(saved=True, endpoint=endpoint), 201
