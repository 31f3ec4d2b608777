"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import shutil

from clickhouse_driver import errors as ch_errors
from flask import Blueprint, Response, current_app, jsonify, request

from eslamed.core import metrics
from eslamed.core.problems import Problem
from eslamed.core.store import Store, StoreUnavailable
from eslamed.web.edge import render, secret_matches

READY_FILL_LIMIT = 0.9
NOT_READY_RETRY_S = 5
METRICS_REFUSED = Problem(
    "/metrics needs Authorization: Bearer <METRICS_TOKEN>",
    code="metrics_token",
    message_tr="Metrikler için METRICS_TOKEN gerekir.",
    status=401,
)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers; says nothing about ClickHouse (that is /readyz)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    runtime = current_app.extensions["eslamed"]
    clickhouse = runtime.store.ping()
    buffer = runtime.buffer
    fill = buffer.slot.fill_ratio() if buffer else 0.0
    spill = buffer.spill.pending_bytes() if buffer else 0
    ring_ok = (
        buffer is not None and fill < READY_FILL_LIMIT and spill < runtime.settings.spill_max_bytes * 0.9
    )
    free = shutil.disk_usage(runtime.settings.data_dir).free
    disk_ok = free >= runtime.settings.min_free_disk_bytes
    ready = clickhouse and ring_ok and disk_ok
    body = {
        "ready": ready,
        "clickhouse": "up" if clickhouse else "down",
        # read from the server each time: what an acknowledged insert into each durable table survives
        "clickhouse_fsync": _fsync_by_table(runtime.store) if clickhouse else None,
        "ring_fill": round(fill, 4),
        "spill_bytes": spill,
        "data_dir_free_bytes": free,
        "disk": "ok" if disk_ok else "low",
        # each background job of this worker: rounds, failures, the last error, whether it leads
        "jobs": runtime.supervisor.health(),
    }
    if ready:
        return jsonify(body), 200
    # a load balancer or a deploy script that polls this waits as tracking.js does
    return jsonify(body), 503, {"Retry-After": str(NOT_READY_RETRY_S)}


def _fsync_by_table(store: Store) -> dict[str, bool] | None:
    try:
        return store.fsync_by_table()
    except (StoreUnavailable, ch_errors.Error):
        return None


def metrics_allowed(authorization: str, token: str) -> bool:
    """/metrics counts leads, sales and failed logins: only a scraper holding METRICS_TOKEN
    reads it. Without a token configured nobody does (it is never public by default)."""
    scheme, _, given = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and secret_matches(given.strip(), token)


@bp.get("/metrics")
def metrics_view() -> Response:
    runtime = current_app.extensions["eslamed"]
    if not metrics_allowed(request.headers.get("Authorization", ""), runtime.settings.metrics_token):
        response = render(METRICS_REFUSED)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if runtime.flusher is not None:
        runtime.flusher.report()
    return Response(metrics.render(), mimetype=metrics.CONTENT_TYPE)
