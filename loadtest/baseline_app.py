"""The benchmark's yardstick: a bare Flask view that parses the JSON body and appends it to a
list, run under the same gunicorn settings as the real server. The capture pipeline (validate,
enrich, crash-safe ring, ClickHouse) should be at least as fast as this do-nothing endpoint."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)
RECEIVED: list[Any] = []


@app.post("/api/track")
def track() -> tuple[dict[str, int], int]:
    data = request.get_json(force=True)
    RECEIVED.append(data)
    events = data.get("events") if isinstance(data, dict) else None
    return {"accepted": len(events) if isinstance(events, list) else 1, "dropped": 0}, 202


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
