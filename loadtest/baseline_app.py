"""The benchmark's yardsticks, run under the same gunicorn settings as the real server.

`app`: a bare Flask view that parses the JSON body and appends it to a list. The capture pipeline
(validate, enrich, crash-safe ring, ClickHouse) should be at least as fast as this do-nothing view.
`ceiling`: a raw WSGI callable doing the same (read the body, parse JSON, append to a list), with no
framework at all: the physical limit of a Python WSGI app in this gunicorn on this machine."""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson
from flask import Flask, request

app = Flask(__name__)
RECEIVED: deque[Any] = deque(maxlen=10_000)
"""Bounded: an ever-growing list makes every full garbage collection walk all of it, so a yardstick
that keeps everything gets slower round by round (bare Flask fell from 6,800 to 4,300 events/s over
five rounds on 2026-12-04) and measures the collector instead of the framework."""


@app.post("/api/track")
def track() -> tuple[dict[str, int], int]:
    data = request.get_json(force=True)
    RECEIVED.append(data)
    events = data.get("events") if isinstance(data, dict) else None
    return {"accepted": len(events) if isinstance(events, list) else 1, "dropped": 0}, 202


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def ceiling(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ.get("PATH_INFO") != "/api/track":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status":"ok"}']
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    data = orjson.loads(body)
    RECEIVED.append(data)
    events = data.get("events") if isinstance(data, dict) else None
    reply = orjson.dumps({"accepted": len(events) if isinstance(events, list) else 1, "dropped": 0})
    start_response(
        "202 Accepted", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))]
    )
    return [reply]
