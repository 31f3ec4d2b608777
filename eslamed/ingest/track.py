"""POST /api/track as a bare WSGI callable.

This is the hot path, so it skips Flask's request/response machinery: read at most 16 KB,
validate, enrich, append to the ring, answer 202. Nothing here waits on ClickHouse.
Status codes tell tracking.js what to do: 4xx never retried, 503 retried after Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
from limits import parse as parse_limit

from eslamed.core import metrics
from eslamed.core.ratelimit import FixedWindow
from eslamed.ingest import pipeline
from eslamed.ingest.client_ip import client_ip
from eslamed.ingest.event_sink import encode
from eslamed.ingest.validate import MAX_BODY_BYTES, ValidationError, validate_track_body
from eslamed.runtime import Runtime

StartResponse = Callable[..., Any]
JSON = "application/json"
ACCEPTED_TYPES = ("application/json", "text/plain")


def _reply(
    start_response: StartResponse, status: str, body: dict[str, Any], headers: list[tuple[str, str]]
) -> Iterable[bytes]:
    data = orjson.dumps(body)
    start_response(status, [("Content-Type", JSON), ("Content-Length", str(len(data))), *headers])
    return [data]


def cors_headers(origin: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    if origin and origin.rstrip("/") in allowed:
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    return []


def cross_site(origin: str, fetch_site: str, host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a browser sent this POST from a page that is not ours (issue 27 B): its Origin is neither a
    configured site origin nor the server's own host, or, without an Origin, Sec-Fetch-Site says cross-site.
    Such a request is refused, so no other website can make its visitors create leads or events; a client
    that sends neither header (curl, an old browser) is let through, as the site's per-IP limits apply."""
    if origin:
        origin = origin.rstrip("/")
        return origin not in allowed and urlsplit(origin).netloc.lower() != host.lower()
    return fetch_site.lower() == "cross-site"


def request_ip(environ: dict[str, Any], runtime: Runtime) -> str:
    return client_ip(
        environ.get("REMOTE_ADDR", ""),
        environ.get("HTTP_CF_CONNECTING_IP"),
        environ.get("HTTP_X_FORWARDED_FOR"),
        runtime.settings.trusted_proxies,
        runtime.settings.cloudflare_proxies,
    )


class TrackEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.limit = FixedWindow(
            runtime.limiter.storage, parse_limit(runtime.settings.track_rate_limit), "track"
        )

    def _reject(
        self, start_response: StartResponse, status: str, reason: str, body: dict[str, Any], headers: list
    ) -> Iterable[bytes]:
        metrics.REQUESTS_REJECTED.labels("track", reason).inc()
        return _reply(start_response, status, body, headers)

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, extra: Sequence[tuple[str, str]] = ()
    ) -> Iterable[bytes]:
        """`extra`: the security headers every response gets, handed over by the dispatcher."""
        settings = self.runtime.settings
        cors = cors_headers(environ.get("HTTP_ORIGIN", ""), settings.site_origins)
        headers = [*cors, *extra]
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            allow = [
                ("Access-Control-Allow-Methods", "POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type"),
                ("Access-Control-Max-Age", "86400"),
            ]
            start_response("204 No Content", headers + allow if cors else headers)
            return [b""]
        if method != "POST":
            return self._reject(
                start_response, "405 Method Not Allowed", "method", {"error": "use POST"}, [("Allow", "POST")]
            )
        if cross_site(
            environ.get("HTTP_ORIGIN", ""),
            environ.get("HTTP_SEC_FETCH_SITE", ""),
            environ.get("HTTP_HOST", ""),
            settings.site_origins,
        ):
            return self._reject(
                start_response,
                "403 Forbidden",
                "cross_site",
                {"error": "cross-site request refused: post from the site's own pages", "field": ""},
                headers,
            )

        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_TYPES:
            return self._reject(
                start_response,
                "415 Unsupported Media Type",
                "content_type",
                {"error": "send application/json or text/plain", "field": ""},
                headers,
            )
        if environ.get("HTTP_CONTENT_ENCODING", "identity").lower() != "identity":
            # Never inflate client bodies: a 16 KB gzip can hold gigabytes.
            return self._reject(
                start_response,
                "415 Unsupported Media Type",
                "content_encoding",
                {"error": "compressed bodies are not accepted", "field": ""},
                headers,
            )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return self._reject(
                start_response,
                "413 Payload Too Large",
                "too_large",
                {"error": f"body larger than {MAX_BODY_BYTES} bytes", "field": ""},
                [*headers, ("Connection", "close")],
            )

        ip = request_ip(environ, self.runtime)
        if not self.limit.hit(ip):
            return self._reject(
                start_response,
                "429 Too Many Requests",
                "rate_limited",
                {"error": "too many requests", "field": ""},
                [*headers, ("Retry-After", "60")],
            )

        body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1) if length else MAX_BODY_BYTES + 1)
        try:
            events = validate_track_body(body)
        except ValidationError as exc:
            status = "413 Payload Too Large" if "larger than" in exc.message else "400 Bad Request"
            return self._reject(start_response, status, "invalid", exc.as_json(), headers)

        return self._buffer(events, environ, ip, start_response, headers)

    def _buffer(
        self,
        events: list[dict[str, Any]],
        environ: dict[str, Any],
        ip: str,
        start_response: StartResponse,
        headers: list,
    ) -> Iterable[bytes]:
        runtime = self.runtime
        buffer, flusher = runtime.buffer, runtime.flusher
        if buffer is None or flusher is None:
            return self._reject(
                start_response,
                "503 Service Unavailable",
                "not_ready",
                {"error": "starting"},
                [*headers, ("Retry-After", "2")],
            )
        ctx = pipeline.make_context(
            ip,
            environ.get("HTTP_USER_AGENT", ""),
            runtime.geo,
            runtime.own_hosts,
            runtime.salts,
            environ.get("HTTP_HOST", ""),
        )
        records = []
        for event in events:
            result = pipeline.run(event, ctx)
            if isinstance(result, pipeline.Drop):
                metrics.EVENTS_DROPPED.labels(result.reason).inc()
            else:
                records.append(encode(result))
        if records:
            where = buffer.append(records)
            if where is None:
                return self._reject(
                    start_response,
                    "503 Service Unavailable",
                    "buffer_full",
                    {"error": "server busy, retry later; none of these events was kept"},
                    [*headers, ("Retry-After", "5")],
                )
            if where == "spill":
                metrics.SPILLED.inc(len(records))
            runtime.events_on_disk()
            flusher.notify_appended(len(records))
            metrics.EVENTS_ACCEPTED.inc(len(records))
        accepted = len(records)
        return _reply(
            start_response, "202 Accepted", {"accepted": accepted, "dropped": len(events) - accepted}, headers
        )
