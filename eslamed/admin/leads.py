"""Lead routes: the list, one lead with its history and journey, status and phone changes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, request

from eslamed.admin import journey
from eslamed.admin.http import decode_cursor, encode_cursor, json_body, lead_uuid, runtime, store
from eslamed.admin.stats_shape import EARLIEST, LATEST, clamp_day, utc_bounds
from eslamed.conversions.stages import record_stage
from eslamed.core.clock import utc_now
from eslamed.core.phone import display_phone
from eslamed.core.problems import Problem
from eslamed.core.sql import admin as sql
from eslamed.ingest.validate import check_string
from eslamed.leads.lifecycle import STATUSES, LeadBook, parse_note, parse_phone, parse_status_change
from eslamed.web.edge import reply

bp = Blueprint("admin_leads", __name__)

PAGE_DEFAULT = 50
PAGE_MAX = 200
JOURNEY_LIMIT = 500
JOURNEY_LOOKBACK = timedelta(days=120)


def _limit(raw: str | None) -> int:
    try:
        value = int(raw) if raw else PAGE_DEFAULT
    except ValueError as exc:
        raise Problem("limit must be a whole number", "limit") from exc
    return max(1, min(value, PAGE_MAX))


def _search_params(q: str) -> dict[str, str]:
    """Digits of a phone search without the leading 0 of Turkish national format ('0532…' → '532…')."""
    digits = re.sub(r"\D", "", q)
    return {"q": q, "q_digits": digits.lstrip("0") if len(digits) >= 3 else ""}


def list_filters(args: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
    """Query-string filters to the named SQL filters and their parameters.

    Without a status, the list ("Tümü") leaves SPAM out: bots would bury the real leads; SPAM
    has its own filter."""
    names: list[str] = []
    params: dict[str, Any] = {}
    if args.get("status"):
        if args["status"] not in STATUSES:
            raise Problem(f"status must be one of {', '.join(STATUSES)}", "status")
        names.append("status")
        params["status"] = args["status"]
    else:
        names.append("not_spam")
    for key in ("source", "traffic"):
        if args.get(key):
            names.append(key)
            params[key] = check_string(args[key], key, 32)
    if args.get("from") or args.get("to"):
        try:
            start = clamp_day(date.fromisoformat(args["from"])) if args.get("from") else EARLIEST
            end = clamp_day(date.fromisoformat(args["to"])) if args.get("to") else LATEST
        except ValueError as exc:
            raise Problem("from and to must be dates like 2026-11-26", "from") from exc
        names.append("created")
        params["since"], params["until"] = utc_bounds(start, end)
    q = check_string(args.get("q", ""), "q", 100).strip()
    if q:
        names.append("search")
        params.update(_search_params(q))
    if args.get("cursor"):
        names.append("cursor")
        params["c_ts"], params["c_id"] = decode_cursor(args["cursor"])
    return names, params


@bp.get("/leads")
def list_leads() -> Response:
    db = store()
    names, params = list_filters(request.args.to_dict())
    limit = _limit(request.args.get("limit"))
    params["limit"] = limit + 1
    rows = db.query_dicts(sql.lead_list(db.database, names), params)
    page, more = rows[:limit], len(rows) > limit
    counts = dict(db.query(sql.LEAD_STATUS_COUNTS.format(db=db.database)))
    return reply(
        {
            "leads": [{**row, "phone_display": display_phone(row["phone"])} for row in page],
            "next_cursor": encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more else None,
            "counts": {status: counts.get(status, 0) for status in STATUSES},
        }
    )


def load_lead(lead_id: str) -> dict[str, Any]:
    return LeadBook(store()).get(lead_uuid(lead_id))


def lead_view(row: dict[str, Any]) -> dict[str, Any]:
    """The lead as the PWA reads it: `phone` stays E.164 (tel:, wa.me), `phone_display` is for the eye."""
    shown = {k: v for k, v in row.items() if k not in ("lead_id", "version")}
    return {"id": str(row["lead_id"]), **shown, "phone_display": display_phone(row["phone"])}


@bp.get("/leads/<lead_id>")
def get_lead(lead_id: str) -> Response:
    db = store()
    lead = load_lead(lead_id)
    key = {"lead_id": lead["lead_id"]}
    history = [{"changed_at": lead["created_at"], "status": "NEW", "note": "", "phone_changed": 0}]
    history += db.query_dicts(sql.LEAD_HISTORY.format(db=db.database), key)
    conversions = db.query_dicts(sql.LEAD_CONVERSIONS.format(db=db.database), key)
    events: list[dict[str, Any]] = []
    journey_sql = sql.JOURNEY if lead["visitor_id"] else sql.VISIT_JOURNEY if lead["visit_key"] else ""
    if journey_sql:  # by visitor_id with consent, else by the visit's cookieless key (that day only)
        events = db.query_dicts(
            journey_sql.format(db=db.database),
            {
                "visitor_id": lead["visitor_id"],
                "visit_key": lead["visit_key"],
                "since": lead["created_at"] - JOURNEY_LOOKBACK,
                "until": utc_now() + timedelta(days=1),
                "limit": JOURNEY_LIMIT,
            },
        )
    return reply(
        {
            "lead": lead_view(lead),
            "history": history,
            "conversions": conversions,
            "journey": {"summary": journey.summarize(events, lead), "events": events},
        }
    )


@bp.post("/leads/<lead_id>/status")
def set_status(lead_id: str) -> Response:
    status, note = parse_status_change(json_body())
    book = LeadBook(store())
    row = book.set_status(book.get(lead_uuid(lead_id)), status, note)
    record_stage(book.store, runtime().settings, row, status)
    return reply({"lead": lead_view(row)})


@bp.post("/leads/<lead_id>/note")
def add_note(lead_id: str) -> Response:
    """A note in the lead's history; the status stays as it is."""
    note = parse_note(json_body())
    book = LeadBook(store())
    return reply({"lead": lead_view(book.add_note(book.get(lead_uuid(lead_id)), note))}, 201)


@bp.post("/leads/<lead_id>/phone")
def set_phone(lead_id: str) -> Response:
    phone = parse_phone(json_body())
    book = LeadBook(store())
    return reply({"lead": lead_view(book.set_phone(book.get(lead_uuid(lead_id)), phone))})
