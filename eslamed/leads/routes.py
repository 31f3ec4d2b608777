"""The Flask blueprint for POST /api/lead: HTTP in and out; the work is in validate/service.

Status codes tell the site what to do: 201 stored, 200 already had it, 202 journaled (the
site may forget it), 400 fix the input, 413 too large, 415 wrong content type, 429 slow down,
503 retry. CORS lets the landing pages' origins post here, preflight included.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask_limiter import Limiter

import eslamed.core.ratelimit
from eslamed.core import metrics
from eslamed.ingest.track import cors_headers, cross_site, request_ip
from eslamed.ingest.useragent import classify
from eslamed.ingest.visit_key import VisitKeys
from eslamed.leads.service import LeadService, new_record
from eslamed.leads.validate import MAX_BODY_BYTES, LeadError, parse_body, validate_lead
from eslamed.notify.notifier import Notifier
from eslamed.runtime import Runtime

ACCEPTED_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")
EXTENSION = "eslamed_leads"

bp = Blueprint("leads", __name__)


def _runtime() -> Runtime:
    return current_app.extensions["eslamed"]


def client_ip() -> str:
    return request_ip(request.environ, _runtime())


limiter = Limiter(
    key_func=lambda: eslamed.core.ratelimit.rate_key(client_ip()), default_limits=[], headers_enabled=False
)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    runtime: Runtime = app.extensions["eslamed"]
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", eslamed.core.ratelimit.storage_uri(runtime.settings.ratelimit_file)
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = LeadService(runtime, Notifier.from_settings(runtime.settings, runtime.store))


def service(app: Flask) -> LeadService:
    return app.extensions[EXTENSION]


def _error(status: int, error: LeadError) -> tuple[Response, int]:
    metrics.REQUESTS_REJECTED.labels("lead", error.code).inc()
    return jsonify(error.as_json()), status


@bp.after_request
def _cors(response: Response) -> Response:
    for name, value in cors_headers(request.headers.get("Origin", ""), _runtime().settings.site_origins):
        response.headers[name] = value
    return response


def _drain() -> None:
    """Read a small unread body before answering early, so closing the socket never resets the reply."""
    if (request.content_length or 0) <= MAX_BODY_BYTES:
        request.stream.read(MAX_BODY_BYTES)


@bp.errorhandler(429)
def _too_many(_exc: Exception) -> tuple[Response, int]:
    _drain()
    response, status = _error(
        429,
        LeadError(
            "rate_limited",
            "",
            "Çok fazla istek gönderildi; lütfen bir dakika sonra tekrar deneyin.",
            "Too many requests; please try again in a minute.",
        ),
    )
    response.headers["Retry-After"] = "60"
    return response, status


@bp.route("/api/lead", methods=["POST", "OPTIONS"])
@limiter.limit(lambda: _runtime().settings.lead_rate_limit, methods=["POST"])
def submit() -> tuple[Response, int]:
    if request.method == "OPTIONS":
        response = Response(status=204)
        if cors_headers(request.headers.get("Origin", ""), _runtime().settings.site_origins):
            response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response, 204
    started = time.perf_counter()
    if cross_site(
        request.headers.get("Origin", ""),
        request.headers.get("Sec-Fetch-Site", ""),
        request.host,
        _runtime().settings.site_origins,
    ):
        _drain()
        return _error(
            403,
            LeadError(
                "cross_site",
                "",
                "Bu form yalnızca sitenin kendi sayfalarından gönderilebilir.",
                "Cross-site request refused: post from the site's own pages.",
            ),
        )
    content_type = (request.mimetype or "").lower()
    if content_type not in ACCEPTED_TYPES:
        _drain()
        return _error(
            415,
            LeadError(
                "unsupported_content_type",
                "",
                "Desteklenmeyen içerik türü.",
                "Send application/json or application/x-www-form-urlencoded.",
            ),
        )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        response, status = _error(
            413,
            LeadError(
                "too_large",
                "",
                f"Gönderilen veri çok büyük (en fazla {MAX_BODY_BYTES} bayt).",
                f"Request body larger than {MAX_BODY_BYTES} bytes.",
            ),
        )
        response.headers["Connection"] = "close"
        return response, status
    body = request.stream.read(MAX_BODY_BYTES + 1)
    try:
        lead = validate_lead(parse_body(body, content_type))
    except LeadError as exc:
        return _error(413 if exc.code == "too_large" else 400, exc)

    runtime = _runtime()
    ip = client_ip()
    user_agent = request.headers.get("User-Agent", "")
    now = time.time()
    record = new_record(lead, runtime.geo.lookup(ip), classify(user_agent), now)
    # the same key the visit's beacons got: its click and landing page reach the lead without consent
    record["visit_key"] = VisitKeys(runtime.salts, request.host, ip, user_agent, now).today
    outcome = service(current_app).submit(record)
    metrics.LEAD_SECONDS.observe(time.perf_counter() - started)
    return jsonify(outcome.body), outcome.status_code
