"""GET /api/admin/stats: four queries (sessions, leads, sales, the sold leads), shaped in stats_shape."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, request

from eslamed.admin import stats_shape
from eslamed.admin.http import reply, store
from eslamed.sql import admin as sql

bp = Blueprint("admin_stats", __name__)


@bp.get("/stats")
def get_stats() -> Response:
    today = datetime.now(stats_shape.ISTANBUL).date()
    start, end = stats_shape.parse_range(request.args.get("from"), request.args.get("to"), today)
    since, until = stats_shape.utc_bounds(start, end)
    db = store()
    bounds = {"since": since, "until": until}
    sessions = db.query_dicts(sql.STATS_SESSIONS.format(db=db.database), bounds)
    leads = db.query_dicts(sql.STATS_LEADS.format(db=db.database), bounds)
    sales = db.query_dicts(sql.STATS_SALES.format(db=db.database), bounds)
    sale_leads = {}
    if sales:
        ids = tuple({row["lid"] for row in sales})
        sale_leads = {
            row["id"]: row
            for row in db.query_dicts(sql.STATS_LEADS_BY_ID.format(db=db.database), {"ids": ids})
        }
    return reply(stats_shape.shape_stats(start, end, sessions, leads, sales, sale_leads))
