"""POST/GET /api/webhooks/whatsapp (Meta's Cloud API webhook) and POST /api/webhooks/call (a VoIP provider).

Signed posts are answered 200 as soon as they are handled, so Meta does not resend them; only when
ClickHouse cannot take the result is the answer 503, and the sender's own retries are the queue.
A bad or missing signature is 401 and nothing is read beyond the check.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import TypeVar

import orjson
from clickhouse_driver import errors as ch_errors
from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from limits import parse as parse_limit

from eslamed.admin.http import reply
from eslamed.core.locks import LockTimeout
from eslamed.core.ratelimit import rate_key
from eslamed.core.store import StoreUnavailable
from eslamed.inbound.attach import Busy, Inbound
from eslamed.inbound.payloads import CallNotice, Notification, PayloadError, parse_call, parse_notification
from eslamed.inbound.signature import signature_ok
from eslamed.leads import routes as leads
from eslamed.runtime import Runtime

log = logging.getLogger(__name__)

EXTENSION = "eslamed_inbound"
FAIL_SCOPE = "webhook-signature-fail"
MAX_CHALLENGE = 128
T = TypeVar("T")

bp = Blueprint("inbound", __name__)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    runtime: Runtime = app.extensions["eslamed"]
    app.extensions[EXTENSION] = Inbound(leads.service(app), runtime.settings)


def _setting(name: str) -> str:
    runtime: Runtime = current_app.extensions["eslamed"]
    return runtime.settings.get(name)


def _error(status: int, error: str, message: str, **extra: str) -> Response:
    return reply({"error": error, "message": message, **extra}, status)


def _not_configured(name: str) -> Response:
    return _error(404, "not_configured", f"this webhook is off until {name} is set")


def _retry_later(exc: Exception) -> Response:
    log.warning("inbound webhook answered 503, the sender retries: %s", exc)
    response = _error(503, "retry_later", "storage is unavailable; resend later")
    response.headers["Retry-After"] = "30"
    return response


def _signed_json(secret_name: str, header: str) -> tuple[object | None, Response | None]:
    secret = _setting(secret_name)
    if not secret:
        return None, _not_configured(secret_name)
    runtime: Runtime = current_app.extensions["eslamed"]
    limit, key = parse_limit(runtime.settings.webhook_fail_limit), rate_key(leads.client_ip())
    if not runtime.limiter.test(limit, FAIL_SCOPE, key):
        response = _error(429, "too_many_bad_signatures", "too many bad signatures from this address")
        response.headers["Retry-After"] = "60"
        return None, response
    body = request.get_data(cache=False)
    if not signature_ok(body, secret, request.headers.get(header)):
        runtime.limiter.hit(limit, FAIL_SCOPE, key)  # counted per client IP, shared by all workers
        return None, _error(401, "bad_signature", f"{header} is missing or does not match the body")
    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError:
        return None, _error(400, "malformed", "the body is not JSON")


@bp.get("/api/webhooks/whatsapp")
def whatsapp_verify() -> Response:
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours."""
    token = _setting("WHATSAPP_VERIFY_TOKEN")
    if not token:
        return _not_configured("WHATSAPP_VERIFY_TOKEN")
    given = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        given.encode("utf-8", "replace"), token.encode()
    ):
        return _error(403, "verification_failed", "hub.mode must be subscribe and hub.verify_token ours")
    if not challenge or len(challenge) > MAX_CHALLENGE or not challenge.isascii() or not challenge.isalnum():
        return _error(400, "bad_challenge", "hub.challenge must be 1-128 letters or digits")
    return Response(challenge, status=200, mimetype="text/plain")


def _handle_signed(
    secret_name: str,
    header: str,
    parse: Callable[[object], T],
    handle: Callable[[Inbound, T], dict[str, object]],
) -> Response:
    """Both webhooks: the signature, then the payload (400 naming the field), then the handling;
    storage trouble is 503 so the sender's own retries keep the message."""
    data, refused = _signed_json(secret_name, header)
    if refused is not None:
        return refused
    try:
        payload = parse(data)
    except PayloadError as exc:
        return _error(400, "bad_payload", exc.message, field=exc.field)
    try:
        return reply(handle(current_app.extensions[EXTENSION], payload))
    except (StoreUnavailable, ch_errors.Error, Busy, LockTimeout) as exc:
        return _retry_later(exc)


def _whatsapp(inbound: Inbound, notification: Notification) -> dict[str, object]:
    handled = [inbound.whatsapp(message) for message in notification.messages]
    return {
        "messages": [{"outcome": h.outcome, "lead_id": h.lead_id} for h in handled],
        "statuses": notification.statuses,
    }


def _call(inbound: Inbound, notice: CallNotice) -> dict[str, object]:
    handled = inbound.call(notice)
    return {"outcome": handled.outcome, "lead_id": handled.lead_id}


@bp.post("/api/webhooks/whatsapp")
def whatsapp_notify() -> Response:
    return _handle_signed("WHATSAPP_APP_SECRET", "X-Hub-Signature-256", parse_notification, _whatsapp)


@bp.post("/api/webhooks/call")
def call_notify() -> Response:
    return _handle_signed("CALL_WEBHOOK_SECRET", "X-Signature-256", parse_call, _call)
