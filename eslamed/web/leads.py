"""POST /api/lead: HTTP in and out; the work is in eslamed.leads (validate, service).

Status codes tell the site what to do: 201 stored, 200 already had it, 202 journaled (the
site may forget it), 400 fix the input, 413 too large, 415 wrong content type, 429 slow down,
503 retry after Retry-After. CORS lets the landing pages' origins post here, preflight included.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask_limiter import Limiter
from werkzeug.exceptions import TooManyRequests

from eslamed.core import metrics
from eslamed.core.problems import Problem
from eslamed.core.ratelimit import rate_key, storage_uri
from eslamed.ingest.useragent import classify
from eslamed.ingest.visit_key import VisitKeys
from eslamed.leads.service import BUSY, DUPLICATE, JOURNALED, STORED, LeadService, new_record
from eslamed.leads.validate import MAX_BODY_BYTES, TOO_LARGE, lead_error, parse_body, validate_lead
from eslamed.notify.notifier import Notifier
from eslamed.web.edge import (
    CROSS_SITE,
    answer,
    client_address,
    cors_headers,
    cross_site,
    preflight_headers,
    reply,
    too_many,
)
from eslamed.web.runtime import Runtime

ACCEPTED_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")
EXTENSION = "eslamed_leads"
STATUS = {STORED: 201, JOURNALED: 202, DUPLICATE: 200}
BUSY_RETRY_S = 5

bp = Blueprint("leads", __name__)


def _runtime() -> Runtime:
    return current_app.extensions["eslamed"]


def client_ip() -> str:
    return client_address(request.environ, _runtime().settings)


limiter = Limiter(key_func=lambda: rate_key(client_ip()), default_limits=[], headers_enabled=False)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    runtime: Runtime = app.extensions["eslamed"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(runtime.settings.ratelimit_file))
    limiter.init_app(app)
    notifier = Notifier.from_settings(runtime.settings, runtime.store)
    app.extensions[EXTENSION] = LeadService(runtime.store, runtime.own_hosts, runtime.settings, notifier)


def service(app: Flask) -> LeadService:
    return app.extensions[EXTENSION]


@bp.after_request
def _cors(response: Response) -> Response:
    for name, value in cors_headers(request.headers.get("Origin", ""), _runtime().settings.site_origins):
        response.headers[name] = value
    return response


def _drain() -> None:
    """Read a small unread body before answering early, so closing the socket never resets the reply."""
    if (request.content_length or 0) <= MAX_BODY_BYTES:
        request.stream.read(MAX_BODY_BYTES)


@bp.errorhandler(Problem)
def _refused(problem: Problem) -> Response:
    """The app's renderer (eslamed.web.edge), after reading what is left of the body."""
    _drain()
    return answer(problem)


@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Response:
    _drain()
    return too_many(exc)


UNSUPPORTED = lead_error(
    "unsupported_content_type",
    "",
    "Desteklenmeyen içerik türü.",
    "Send application/json or application/x-www-form-urlencoded.",
    status=415,
)


@bp.route("/api/lead", methods=["POST", "OPTIONS"])
@limiter.limit(lambda: _runtime().settings.lead_rate_limit, methods=["POST"])
def submit() -> Response:
    runtime = _runtime()
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers.extend(
            preflight_headers(request.headers.get("Origin", ""), runtime.settings.site_origins)
        )
        return response
    started = time.perf_counter()
    if cross_site(
        request.headers.get("Origin", ""),
        request.headers.get("Sec-Fetch-Site", ""),
        request.host,
        runtime.settings.site_origins,
    ):
        raise CROSS_SITE
    content_type = (request.mimetype or "").lower()
    if content_type not in ACCEPTED_TYPES:
        raise UNSUPPORTED
    if (request.content_length or 0) > MAX_BODY_BYTES:
        response = answer(TOO_LARGE)  # without reading the body, which is dropped with the connection
        response.headers["Connection"] = "close"
        return response
    lead = validate_lead(parse_body(request.stream.read(MAX_BODY_BYTES + 1), content_type))
    ip = client_ip()
    user_agent = request.headers.get("User-Agent", "")
    now = time.time()
    record = new_record(lead, runtime.geo.lookup(ip), classify(user_agent), now)
    # the same key the visit's beacons got: its click and landing page reach the lead without consent
    record["visit_key"] = VisitKeys(runtime.salts, request.host, ip, user_agent, now).today
    outcome = service(current_app).submit(record)
    metrics.LEAD_SECONDS.observe(time.perf_counter() - started)
    if outcome.kind == BUSY:
        raise Problem(
            "busy; send the same lead again",
            code="busy",
            message_tr="Sunucu meşgul; lütfen tekrar deneyin.",
            status=503,
            retry_after_s=BUSY_RETRY_S,
            lead_id=outcome.body["lead_id"],
        )
    return reply(outcome.body, STATUS[outcome.kind])
