"""The /api/admin blueprint: one gate in front of every admin route, then the routes by concern.

Route modules are nested blueprints, so the single `before_request` below runs for all of
them; a route added later cannot forget the check.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from eslamed.admin import conversions, leads, push, sale_fix, stats
from eslamed.admin.auth import HEADER, AdminGate
from eslamed.admin.http import reply, runtime
from eslamed.core import metrics
from eslamed.core.store import StoreUnavailable
from eslamed.ingest.track import request_ip
from eslamed.ingest.validate import ValidationError

log = logging.getLogger(__name__)
GATE = "eslamed.admin_gate"

bp = Blueprint("admin", __name__, url_prefix="/api/admin")
for child in (leads.bp, conversions.bp, sale_fix.bp, stats.bp, push.bp):
    bp.register_blueprint(child)


@bp.record_once
def _build_gate(state: BlueprintSetupState) -> None:
    rt = state.app.extensions["eslamed"]
    settings = rt.settings
    state.app.extensions[GATE] = AdminGate(
        settings.admin_secret, settings.admin_allowed_ips, rt.limiter, settings.admin_fail_limit
    )


@bp.before_request
def require_admin() -> Response | None:
    ip = request_ip(request.environ, runtime())
    refusal = current_app.extensions[GATE].check(ip, request.headers.get(HEADER))
    if refusal is None:
        return None
    metrics.ADMIN_AUTH_REFUSED.labels(str(refusal.status)).inc()
    log.warning("admin request refused (%s): %s %s from %s", refusal.status, request.method, request.path, ip)
    return reply(refusal.as_json(), refusal.status)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ValidationError)
def bad_request(exc: ValidationError) -> Response:
    return reply({**exc.as_json(), "message_tr": "Geçersiz bilgi: " + (exc.field or "istek")}, 400)


@bp.errorhandler(StoreUnavailable)
def store_down(exc: StoreUnavailable) -> Response:
    log.warning("admin request failed, ClickHouse unavailable: %s", exc)
    response = reply(
        {"error": "database unavailable", "message_tr": "Veritabanına ulaşılamıyor, tekrar deneyin"}, 503
    )
    response.headers["Retry-After"] = "5"
    return response
