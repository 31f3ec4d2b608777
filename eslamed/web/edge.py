"""The HTTP edge: how every answer leaves the server, for Flask routes and the bare track endpoint.

One renderer for the one error type (`Problem`), one JSON encoder, one CORS and preflight rule,
one cross-site rule and one client address. A 429 or 503 always carries Retry-After, which
tracking.js and the site's form wait before they send again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import orjson
from clickhouse_driver import errors as ch_errors
from flask import Flask, Response, request
from werkzeug.exceptions import TooManyRequests

from eslamed.core import metrics
from eslamed.core.config import Settings
from eslamed.core.locks import LockTimeout
from eslamed.core.problems import Problem, unavailable
from eslamed.core.store import StoreUnavailable
from eslamed.web.client_address import client_ip

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
JSON = "application/json"
PREFLIGHT = (
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "86400"),
)
STORE_DOWN_RETRY_S = 5


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(body: Any) -> bytes:
    """ISO-8601 UTC times ('…+00:00'), UUIDs as strings and money as '15000.00'."""
    return orjson.dumps(body, default=_default, option=orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS)


def reply(body: Any, status: int = 200) -> Response:
    return Response(to_json(body), status=status, mimetype=JSON)


def problem_headers(problem: Problem) -> list[tuple[str, str]]:
    if problem.retry_after_s is None:
        return []
    return [("Retry-After", str(problem.retry_after_s))]


def render(problem: Problem) -> Response:
    """The Flask side of the renderer."""
    response = reply(problem.as_json(), problem.status)
    for name, value in problem_headers(problem):
        response.headers[name] = value
    return response


def render_wsgi(
    start_response: StartResponse, problem: Problem, headers: list[tuple[str, str]]
) -> Iterable[bytes]:
    """The bare-WSGI side of the renderer (the track endpoint skips Flask)."""
    return send_wsgi(start_response, problem.status, problem.as_json(), [*headers, *problem_headers(problem)])


STATUS_LINES = {
    200: "200 OK",
    202: "202 Accepted",
    400: "400 Bad Request",
    403: "403 Forbidden",
    405: "405 Method Not Allowed",
    413: "413 Payload Too Large",
    415: "415 Unsupported Media Type",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}


def send_wsgi(
    start_response: StartResponse, status: int, body: Any, headers: list[tuple[str, str]]
) -> Iterable[bytes]:
    data = orjson.dumps(body)
    start_response(
        STATUS_LINES[status], [("Content-Type", JSON), ("Content-Length", str(len(data))), *headers]
    )
    return [data]


def cors_headers(origin: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """The landing pages' origins may post here; any other origin gets no CORS header."""
    if origin and origin.rstrip("/") in allowed:
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    return []


def preflight_headers(origin: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """An OPTIONS answer: the CORS grant and what may be sent, or nothing for a foreign origin."""
    cors = cors_headers(origin, allowed)
    return [*cors, *PREFLIGHT] if cors else []


def cross_site(origin: str, fetch_site: str, host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a browser sent this POST from a page that is not ours (issue 27 B): its Origin is neither a
    configured site origin nor the server's own host, or, without an Origin, Sec-Fetch-Site says cross-site.
    Such a request is refused, so no other website can make its visitors create leads or events; a client
    that sends neither header (curl, an old browser) is let through, as the site's per-IP limits apply."""
    if origin:
        origin = origin.rstrip("/")
        return origin not in allowed and urlsplit(origin).netloc.lower() != host.lower()
    return fetch_site.lower() == "cross-site"


CROSS_SITE = Problem(
    "cross-site request refused: post from the site's own pages",
    code="cross_site",
    message_tr="Bu form yalnızca sitenin kendi sayfalarından gönderilebilir.",
    status=403,
)


def client_address(environ: dict[str, Any], settings: Settings) -> str:
    """The visitor's address, believing proxy headers only from the proxies that write them."""
    return client_ip(
        environ.get("REMOTE_ADDR", ""),
        environ.get("HTTP_CF_CONNECTING_IP"),
        environ.get("HTTP_X_FORWARDED_FOR"),
        settings.trusted_proxies,
        settings.cloudflare_proxies,
    )


def secret_matches(given: str, expected: str) -> bool:
    """Constant time in both the content and the length of `given`."""
    given_digest = hashlib.sha256(given.encode()).digest()
    expected_digest = hashlib.sha256(expected.encode()).digest()
    return hmac.compare_digest(given_digest, expected_digest)


def api_area(path: str) -> str:
    """The `/metrics` endpoint label of a refusal: `/api/lead` → lead, `/api/admin/…` → admin."""
    parts = path.split("/", 3)
    return parts[2] if path.startswith("/api/") and len(parts) > 2 else "site"


def answer(exc: Problem) -> Response:
    """Render a refusal and count it under its area and code."""
    metrics.REQUESTS_REJECTED.labels(api_area(request.path), exc.code).inc()
    return render(exc)


def _storage_down(exc: Exception) -> Response:
    log.warning("%s %s answered 503, storage unavailable: %s", request.method, request.path, exc)
    return answer(
        unavailable(
            "storage is unavailable; retry later",
            "Veritabanına ulaşılamıyor, tekrar deneyin",
            STORE_DOWN_RETRY_S,
        )
    )


def too_many(_exc: TooManyRequests) -> Response:
    """flask-limiter's refusal, in the one shape; the limits are per minute or per hour."""
    return answer(
        Problem(
            "too many requests; please try again in a minute",
            code="rate_limited",
            message_tr="Çok fazla istek gönderildi; lütfen bir dakika sonra tekrar deneyin.",
            status=429,
            retry_after_s=60,
        )
    )


def install(app: Flask) -> None:
    """The app-level error handlers: every route raises a Problem and this renders it."""
    app.register_error_handler(Problem, answer)
    app.register_error_handler(TooManyRequests, too_many)
    for storage_error in (StoreUnavailable, ch_errors.Error, LockTimeout):
        app.register_error_handler(storage_error, _storage_down)
