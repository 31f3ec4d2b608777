"""GET /api/admin/stats: visits from the daily cache plus a live tail, leads and sales; see stats_shape."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request

from eslamed import locks
from eslamed.admin import stats_shape
from eslamed.admin.http import reply, runtime, store
from eslamed.admin.lead_changes import new_version
from eslamed.sql import admin as sql
from eslamed.store import Store, StoreUnavailable

bp = Blueprint("admin_stats", __name__)


FILL_CHUNK_DAYS = 31
LOCK_WAIT_S = 60.0


@contextlib.contextmanager
def fill_lock(path: Path) -> Iterator[None]:
    """One filler at a time across workers, so a day is never cached twice and reads need no FINAL."""
    try:
        with locks.held(path, LOCK_WAIT_S):
            yield
    except locks.LockTimeout:
        raise StoreUnavailable("stats cache is being filled by another request") from None


def _missing_days(db: Store, first: date, last: date) -> list[date]:
    cached = {
        row[0] for row in db.query(sql.CACHED_DAYS.format(db=db.database), {"first": first, "last": last})
    }
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [day for day in days if day not in cached]


def fill_cache(db: Store, first: date, last: date, lock_path: Path) -> list[date]:
    """Compute and store the visits cube of the settled days in [first, last] not cached yet.

    A month per query, so each one stays well inside the store's timeout even on a cold year."""
    if not _missing_days(db, first, last):
        return []
    with fill_lock(lock_path):
        missing = _missing_days(db, first, last)
        for i in range(0, len(missing), FILL_CHUNK_DAYS):
            chunk = missing[i : i + FILL_CHUNK_DAYS]
            since, until = stats_shape.utc_bounds(chunk[0], chunk[-1])
            params = {"since": since, "until": until, "days": tuple(chunk), "version": new_version()}
            db.query(sql.FILL_CACHE.format(db=db.database), params)
            db.query(sql.MARK_EMPTY_DAYS.format(db=db.database), {"days": [d.isoformat() for d in chunk]})
    return missing


def visits(db: Store, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    last_cached, live_start = stats_shape.split_range(start, end, now)
    if last_cached is not None:
        fill_cache(db, start, last_cached, runtime().settings.locks_dir / "stats-cache.lock")
    since, until = stats_shape.utc_bounds(live_start, end) if live_start else (now, now)
    params = {
        "first": start,
        "last_cached": last_cached or start - timedelta(days=1),
        "since": since,
        "until": until,
    }
    return db.query_dicts(sql.STATS_VISITS.format(db=db.database), params)


@bp.get("/stats")
def get_stats() -> Response:
    now = datetime.now(UTC).replace(tzinfo=None)
    today = now.replace(tzinfo=UTC).astimezone(stats_shape.ISTANBUL).date()
    start, end = stats_shape.parse_range(request.args.get("from"), request.args.get("to"), today)
    since, until = stats_shape.utc_bounds(start, end)
    db = store()
    visit_rows = visits(db, start, end, now)
    bounds = {"since": since, "until": until}
    leads = db.query_dicts(sql.STATS_LEADS.format(db=db.database), bounds)
    sales = db.query_dicts(sql.STATS_SALES.format(db=db.database), bounds)
    return reply(stats_shape.shape_stats(start, end, visit_rows, leads, sales))
