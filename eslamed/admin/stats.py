"""GET /api/admin/stats: visits from the daily cache plus a live tail, leads and sales; see stats_shape."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
from flask import Blueprint, Response, request

from eslamed.admin import stats_shape
from eslamed.admin.http import runtime, store
from eslamed.core import locks
from eslamed.core.clock import new_version, utc_now
from eslamed.core.sql import admin as sql
from eslamed.core.sql import ads as ads_sql
from eslamed.core.store import Store, StoreUnavailable
from eslamed.web.edge import reply

bp = Blueprint("admin_stats", __name__)


FILL_CHUNK_DAYS = 31
LOCK_WAIT_S = 60.0


@contextlib.contextmanager
def fill_lock(path: Path) -> Iterator[None]:
    """One filler at a time across workers, so a day is filled once per change of its events."""
    try:
        with locks.held(path, LOCK_WAIT_S):
            yield
    except locks.LockTimeout:
        raise StoreUnavailable("stats cache is being filled by another request") from None


def _stale_days(db: Store, first: date, last: date) -> dict[date, int]:
    """Days in [first, last] not cached yet, or whose events count changed since their fill (late
    events), with the count now; the count is read before the fill, so an event landing during
    a fill makes the day stale again rather than lost."""
    params = {"first": first, "last": last}
    cached = dict(db.query(sql.CACHED_DAYS.format(db=db.database), params))
    since, until = stats_shape.utc_bounds(first, last)
    counts = dict(db.query(sql.EVENTS_PER_DAY.format(db=db.database), {"since": since, "until": until}))
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return {day: counts.get(day, 0) for day in days if cached.get(day) != counts.get(day, 0)}


def fill_cache(db: Store, first: date, last: date, lock_path: Path) -> list[date]:
    """Compute and store the visits cube of the settled days in [first, last] that are not cached
    or are stale; returns those days.

    A month per query, so each one stays well inside the store's timeout even on a cold year."""
    if not _stale_days(db, first, last):
        return []
    with fill_lock(lock_path):
        stale = _stale_days(db, first, last)
        missing = sorted(stale)
        for i in range(0, len(missing), FILL_CHUNK_DAYS):
            chunk = missing[i : i + FILL_CHUNK_DAYS]
            since, until = stats_shape.utc_bounds(chunk[0], chunk[-1])
            version = new_version()
            params = {"since": since, "until": until, "days": tuple(chunk), "version": version}
            db.query(sql.FILL_CACHE.format(db=db.database), params)
            db.insert_rows("stats_days", [{"day": d, "version": version, "events": stale[d]} for d in chunk])
    return missing


def visits(db: Store, start: date, end: date, now: datetime, lock_path: Path) -> list[dict[str, Any]]:
    last_cached, live_start = stats_shape.split_range(start, end, now)
    if last_cached is not None:
        fill_cache(db, start, last_cached, lock_path)
    since, until = stats_shape.utc_bounds(live_start, end) if live_start else (now, now)
    params = {
        "first": start,
        "last_cached": last_cached or start - timedelta(days=1),
        "since": since,
        "until": until,
    }
    return db.query_dicts(sql.STATS_VISITS.format(db=db.database), params)


def together(*reads: Callable[[], Any]) -> list[Any]:
    """Independent reads at once, each on its own pooled connection: they wait on ClickHouse, not on this
    worker's CPU, so the page waits for the slowest read instead of for their sum."""
    greenlets = [gevent.spawn(read) for read in reads]
    gevent.joinall(greenlets, raise_error=True)
    return [greenlet.value for greenlet in greenlets]


@bp.get("/stats")
def get_stats() -> Response:
    now = utc_now()
    today = now.replace(tzinfo=UTC).astimezone(stats_shape.ISTANBUL).date()
    start, end = stats_shape.parse_range(request.args.get("from"), request.args.get("to"), today)
    since, until = stats_shape.utc_bounds(start, end)
    db = store()
    name = db.database
    lock_path = runtime().settings.locks_dir / "stats-cache.lock"
    bounds = {"since": since, "until": until}
    visit_rows, leads, sales, costs, names, imported = together(
        lambda: visits(db, start, end, now, lock_path),
        lambda: db.query_dicts(sql.STATS_LEADS.format(db=name), bounds),
        lambda: db.query_dicts(sql.STATS_SALES.format(db=name), bounds),
        lambda: db.query_dicts(ads_sql.STATS_COSTS.format(db=name), {"first": start, "last": end}),
        lambda: dict(db.query(ads_sql.CAMPAIGN_NAMES.format(db=name))),
        lambda: last_import(db),
    )
    ids = tuple(sale["id"] for sale in sales)
    gclids = tuple(sorted({row["gclid"] for row in leads + sales if row.get("gclid")}))
    corrections, clicks = together(
        lambda: db.query_dicts(sql.STATS_SALE_CORRECTIONS.format(db=name), {"ids": ids}) if ids else [],
        lambda: dict(db.query(ads_sql.CLICK_CAMPAIGNS.format(db=name), {"gclids": gclids})) if gclids else {},
    )
    sales = stats_shape.corrected_sales(sales, corrections)
    known = stats_shape.Campaigns(names, clicks)
    shaped = stats_shape.shape_stats(start, end, visit_rows, leads, sales, costs, known)
    shaped["ad_import"] = imported
    return reply(shaped)


def last_import(db: Store) -> dict[str, Any] | None:
    """The newest ad cost import: when, and whether Google refused it (its reason for the owner)."""
    rows = db.query_dicts(ads_sql.LAST_IMPORT.format(db=db.database))
    if not rows:
        return None
    row = rows[0]
    return {
        "at": row["at"].replace(tzinfo=UTC).isoformat(),
        "ok": bool(row["ok"]),
        "code": row["code"],
        "reason": row["reason"],
        "from": row["first_day"],
        "to": row["last_day"],
    }
