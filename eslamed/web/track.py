"""POST /api/track as a bare WSGI callable.

This is the hot path, so it skips Flask's request/response machinery: the request passes a named
list of guards (method, origin, type, encoding, length, rate), its body is validated and enriched
by the ingest pipeline, appended to the ring, and answered 202. Nothing here waits on ClickHouse.
Status codes tell tracking.js what to do: 4xx never retried, 429/503 retried after Retry-After.
Each guard's name is its refusal's code and its `/metrics` reason, as each pipeline step's is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from limits import parse as parse_limit

from eslamed.core import metrics
from eslamed.core.problems import Problem
from eslamed.core.ratelimit import FixedWindow
from eslamed.ingest import pipeline
from eslamed.ingest.event_sink import encode
from eslamed.ingest.validate import MAX_BODY_BYTES, TOO_LARGE, validate_track_body
from eslamed.web.edge import (
    CROSS_SITE,
    StartResponse,
    client_address,
    cors_headers,
    cross_site,
    preflight_headers,
    render_wsgi,
    send_wsgi,
)
from eslamed.web.runtime import Runtime

ACCEPTED_TYPES = ("application/json", "text/plain")
TIME_EVERY = 64
"""One request in this many times its pipeline steps for /metrics; timing each costs clock reads."""


def _refusal(
    status: int, code: str, message: str, message_tr: str, retry_after_s: int | None = None
) -> Problem:
    return Problem(message, code=code, message_tr=message_tr, status=status, retry_after_s=retry_after_s)


METHOD = _refusal(405, "method", "use POST", "Yalnızca POST kabul edilir.")
CONTENT_TYPE = _refusal(
    415, "content_type", "send application/json or text/plain", "Desteklenmeyen içerik türü."
)
# Never inflate client bodies: a 16 KB gzip can hold gigabytes.
ENCODING = _refusal(
    415, "content_encoding", "compressed bodies are not accepted", "Sıkıştırılmış veri kabul edilmez."
)
RATE_LIMITED = _refusal(429, "rate_limited", "too many requests", "Çok fazla istek.", retry_after_s=60)
NOT_READY = _refusal(503, "not_ready", "starting", "Sunucu başlıyor.", retry_after_s=2)
BUFFER_FULL = _refusal(
    503,
    "buffer_full",
    "server busy, retry later; none of these events was kept",
    "Sunucu meşgul; olaylar saklanmadı, tekrar gönderin.",
    retry_after_s=5,
)


class Request:
    """What the guards read, parsed once."""

    __slots__ = ("environ", "ip", "length")

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.ip = ""
        try:
            self.length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.length = 0


Guard = Callable[["TrackEndpoint", Request], Problem | None]


def method(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    return METHOD if req.environ["REQUEST_METHOD"] != "POST" else None


def origin(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    environ = req.environ
    refused = cross_site(
        environ.get("HTTP_ORIGIN", ""),
        environ.get("HTTP_SEC_FETCH_SITE", ""),
        environ.get("HTTP_HOST", ""),
        endpoint.runtime.settings.site_origins,
    )
    return CROSS_SITE if refused else None


def content_type(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    kind = req.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    return None if kind in ACCEPTED_TYPES else CONTENT_TYPE


def content_encoding(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    return None if req.environ.get("HTTP_CONTENT_ENCODING", "identity").lower() == "identity" else ENCODING


def length(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    return TOO_LARGE if req.length > MAX_BODY_BYTES else None


def rate(endpoint: TrackEndpoint, req: Request) -> Problem | None:
    req.ip = client_address(req.environ, endpoint.runtime.settings)
    return None if endpoint.limit.hit(req.ip) else RATE_LIMITED


GUARDS: tuple[Guard, ...] = (method, origin, content_type, content_encoding, length, rate)
"""In order: the cheap header checks before the shared rate-limit counter, which costs a write."""


class TrackEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.limit = FixedWindow(
            runtime.limiter.storage, parse_limit(runtime.settings.track_rate_limit), "track"
        )
        self.requests = 0

    def _refuse(
        self, start_response: StartResponse, problem: Problem, headers: list[tuple[str, str]]
    ) -> Iterable[bytes]:
        metrics.REQUESTS_REJECTED.labels("track", problem.code).inc()
        if problem.status == 413:
            headers = [*headers, ("Connection", "close")]
        elif problem.status == 405:
            headers = [*headers, ("Allow", "POST")]
        return render_wsgi(start_response, problem, headers)

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, extra: Sequence[tuple[str, str]] = ()
    ) -> Iterable[bytes]:
        """`extra`: the security headers every response gets, handed over by the dispatcher."""
        allowed = self.runtime.settings.site_origins
        if environ["REQUEST_METHOD"] == "OPTIONS":
            start_response(
                "204 No Content", [*preflight_headers(environ.get("HTTP_ORIGIN", ""), allowed), *extra]
            )
            return [b""]
        headers = [*cors_headers(environ.get("HTTP_ORIGIN", ""), allowed), *extra]
        req = Request(environ)
        for guard in GUARDS:
            problem = guard(self, req)
            if problem is not None:
                return self._refuse(start_response, problem, headers)
        body = environ["wsgi.input"].read(
            min(req.length, MAX_BODY_BYTES + 1) if req.length else MAX_BODY_BYTES + 1
        )
        try:
            events = validate_track_body(body)
        except Problem as problem:
            return self._refuse(start_response, problem, headers)
        return self._buffer(events, environ, req.ip, start_response, headers)

    def _buffer(
        self,
        events: list[dict[str, Any]],
        environ: dict[str, Any],
        ip: str,
        start_response: StartResponse,
        headers: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        runtime = self.runtime
        buffer, flusher = runtime.buffer, runtime.flusher
        if buffer is None or flusher is None:
            return self._refuse(start_response, NOT_READY, headers)
        ctx = pipeline.make_context(
            ip,
            environ.get("HTTP_USER_AGENT", ""),
            runtime.geo,
            runtime.own_hosts,
            runtime.salts,
            environ.get("HTTP_HOST", ""),
        )
        records = []
        self.requests += 1
        run = pipeline.run_timed if self.requests % TIME_EVERY == 0 else pipeline.run
        for event in events:
            result = run(event, ctx)
            if isinstance(result, pipeline.Drop):
                metrics.EVENTS_DROPPED.labels(result.reason).inc()
            else:
                records.append(encode(result))
        if records:
            where = buffer.append(records)
            if where is None:
                return self._refuse(start_response, BUFFER_FULL, headers)
            if where == "spill":
                metrics.SPILLED.inc(len(records))
            runtime.events_on_disk()
            flusher.notify_appended(len(records))
            metrics.EVENTS_ACCEPTED.inc(len(records))
        accepted = len(records)
        return send_wsgi(
            start_response, 202, {"accepted": accepted, "dropped": len(events) - accepted}, headers
        )
