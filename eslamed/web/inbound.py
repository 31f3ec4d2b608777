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

from eslamed.core.config import WebhookSettings
from eslamed.core.locks import LockTimeout
from eslamed.core.problems import Problem, unavailable
from eslamed.core.ratelimit import rate_key
from eslamed.core.store import StoreUnavailable
from eslamed.inbound.attach import Busy, Inbound
from eslamed.inbound.payloads import CallNotice, Notification, parse_call, parse_notification
from eslamed.inbound.signature import signature_ok
from eslamed.web import leads as leads
from eslamed.web.edge import reply
from eslamed.web.runtime import Runtime

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
    app.extensions[EXTENSION] = Inbound(leads.service(app), runtime.limiter, runtime.settings)


def _webhooks() -> WebhookSettings:
    runtime: Runtime = current_app.extensions["eslamed"]
    return runtime.settings.integrations.webhooks


def _refusal(status: int, code: str, message: str, retry_after_s: int | None = None) -> Problem:
    return Problem(
        message, code=code, message_tr="Webhook reddedildi.", status=status, retry_after_s=retry_after_s
    )


def _not_configured(name: str) -> Problem:
    return _refusal(404, "not_configured", f"this webhook is off until {name} is set")


TOO_MANY_BAD = _refusal(429, "too_many_bad_signatures", "too many bad signatures from this address", 60)
MALFORMED = _refusal(400, "malformed", "the body is not JSON")
RETRY_LATER = unavailable(
    "storage is unavailable; resend later", "Veritabanına ulaşılamıyor.", 30, "retry_later"
)


def _signed_json(secret_name: str, secret: str, header: str) -> object:
    if not secret:
        raise _not_configured(secret_name)
    runtime: Runtime = current_app.extensions["eslamed"]
    limit, key = parse_limit(runtime.settings.webhook_fail_limit), rate_key(leads.client_ip())
    if not runtime.limiter.test(limit, FAIL_SCOPE, key):
        raise TOO_MANY_BAD
    body = request.get_data(cache=False)
    if not signature_ok(body, secret, request.headers.get(header)):
        runtime.limiter.hit(limit, FAIL_SCOPE, key)  # counted per client IP, shared by all workers
        raise _refusal(401, "bad_signature", f"{header} is missing or does not match the body")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MALFORMED from None


@bp.get("/api/webhooks/whatsapp")
def whatsapp_verify() -> Response:
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours."""
    token = _webhooks().whatsapp_verify_token
    if not token:
        raise _not_configured("WHATSAPP_VERIFY_TOKEN")
    given = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        given.encode("utf-8", "replace"), token.encode()
    ):
        raise _refusal(403, "verification_failed", "hub.mode must be subscribe and hub.verify_token ours")
    if not challenge or len(challenge) > MAX_CHALLENGE or not challenge.isascii() or not challenge.isalnum():
        raise _refusal(400, "bad_challenge", "hub.challenge must be 1-128 letters or digits")
    return Response(challenge, status=200, mimetype="text/plain")


def _handle_signed(
    secret_name: str,
    secret: str,
    header: str,
    parse: Callable[[object], T],
    handle: Callable[[Inbound, T], dict[str, object]],
) -> Response:
    """Both webhooks: the signature, then the payload (400 naming the field), then the handling;
    storage trouble is 503 so the sender's own retries keep the message."""
    payload = parse(_signed_json(secret_name, secret, header))
    try:
        return reply(handle(current_app.extensions[EXTENSION], payload))
    except (StoreUnavailable, ch_errors.Error, Busy, LockTimeout) as exc:
        log.warning("inbound webhook answered 503, the sender retries: %s", exc)
        raise RETRY_LATER from exc


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
    secret = _webhooks().whatsapp_app_secret
    return _handle_signed("WHATSAPP_APP_SECRET", secret, "X-Hub-Signature-256", parse_notification, _whatsapp)


@bp.post("/api/webhooks/call")
def call_notify() -> Response:
    return _handle_signed(
        "CALL_WEBHOOK_SECRET", _webhooks().call_secret, "X-Signature-256", parse_call, _call
    )
