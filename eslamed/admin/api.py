"""The /api/admin blueprint: one gate in front of every admin route, then the routes by concern.

Route modules are nested blueprints, so the single `before_request` below runs for all of
them; a route added later cannot forget the check.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from eslamed.admin import conversions, leads, privacy, push, stats
from eslamed.admin.auth import HEADER, AdminGate
from eslamed.admin.http import runtime
from eslamed.core import metrics
from eslamed.web.edge import client_address

log = logging.getLogger(__name__)
GATE = "eslamed.admin_gate"

bp = Blueprint("admin", __name__, url_prefix="/api/admin")
for child in (leads.bp, conversions.bp, stats.bp, push.bp, privacy.bp):
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
    ip = client_address(request.environ, runtime().settings)
    refusal = current_app.extensions[GATE].check(ip, request.headers.get(HEADER))
    if refusal is None:
        return None
    metrics.ADMIN_AUTH_REFUSED.labels(str(refusal.status)).inc()
    log.warning("admin request refused (%s): %s %s from %s", refusal.status, request.method, request.path, ip)
    raise refusal


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
