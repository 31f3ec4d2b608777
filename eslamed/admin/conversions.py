"""Sales: 'Satış Onayla' (a PENDING conversion, the lead CONVERTED), the upload-state list,
'Yeniden gönder', 'Satışı düzelt / iptal' and the fix of a sale not sent yet.

Each route parses, calls the sale ledger (eslamed.conversions.ledger), and replies.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from eslamed.admin.http import conversion_uuid, json_body, lead_uuid, runtime, store
from eslamed.conversions.ledger import CORRECTIONS, SaleLedger
from eslamed.conversions.model import MANUAL
from eslamed.conversions.sale import parse_closed_at, parse_deal_type, parse_revenue
from eslamed.conversions.stages import sale_action_id
from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.problems import Problem
from eslamed.core.sql import admin as sql
from eslamed.ingest.validate import check_string
from eslamed.web.edge import reply

bp = Blueprint("admin_conversions", __name__)

UPLOAD_STATES = ("PENDING", "UPLOADED", "RETRY", "FAILED", "SKIPPED", MANUAL)


def uploader_configured(settings: Settings) -> bool:
    """Any Google Ads / Data Manager setting present; the uploader itself validates the full set."""
    return settings.integrations.google_ads.any_set


def _ledger() -> SaleLedger:
    return SaleLedger(store())


def _sale_view(row: dict[str, Any], lead_status: str) -> dict[str, Any]:
    return {
        "conversion_id": str(row.get("cid") or row.get("conversion_id")),
        "state": row["state"],
        "revenue": row["revenue"],
        "currency": row["currency"],
        "deal_type": row["deal_type"],
        "deal_seq": row["deal_seq"],
        "closed_at": row["closed_at"],
        "lead_status": lead_status,
    }


def _view(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("state", "attempts", "reason", "revenue", "stage", "adjustment", "adjusts", "next_attempt_at")
    return {"conversion_id": str(row["conversion_id"]), **{k: row[k] for k in keep}}


@bp.post("/leads/<lead_id>/convert")
def convert(lead_id: str) -> Response:
    body = json_body()
    now = utc_now()
    revenue = parse_revenue(body.get("revenue"))
    deal_type = parse_deal_type(body.get("deal_type"))
    closed_at = parse_closed_at(body.get("closed_at"), now)
    second_deal = body.get("second_deal", False)
    if not isinstance(second_deal, bool):
        raise Problem("second_deal must be true or false", "second_deal")
    key = check_string(request.headers.get("Idempotency-Key", ""), "Idempotency-Key", 100).strip()
    ledger = _ledger()
    lead = ledger.leads.get(lead_uuid(lead_id))
    sale = ledger.convert(
        lead, revenue, deal_type, closed_at, now, second_deal, key, sale_action_id(runtime().settings)
    )
    body = _sale_view(sale.row, sale.lead_status)
    if not sale.created:
        body["duplicate"] = True
    return reply(body, 201 if sale.created else 200)


@bp.get("/conversions")
def list_conversions() -> Response:
    state = request.args.get("state", "")
    if state and state not in UPLOAD_STATES:
        raise Problem(f"state must be one of {', '.join(UPLOAD_STATES)}", "state")
    try:
        limit = max(1, min(int(request.args.get("limit") or 100), 500))
    except ValueError as exc:
        raise Problem("limit must be a whole number", "limit") from exc
    db = store()
    rows = db.query_dicts(sql.CONVERSION_LIST.format(db=db.database), {"state": state, "limit": limit})
    counts = dict(db.query(sql.CONVERSION_STATE_COUNTS.format(db=db.database)))
    return reply(
        {
            "conversions": [{"conversion_id": r.pop("cid"), "lead_id": r.pop("lid"), **r} for r in rows],
            "counts": {s: counts.get(s, 0) for s in UPLOAD_STATES},
            "google_ads_configured": uploader_configured(runtime().settings),
        }
    )


@bp.post("/conversions/<cid>/retry")
def retry(cid: str) -> Response:
    ledger = _ledger()
    ledger.retry(ledger.conversion(conversion_uuid(cid)), utc_now())
    return reply({"conversion": _view(ledger.conversion(conversion_uuid(cid)))})


@bp.post("/conversions/<cid>/correct")
def correct(cid: str) -> Response:
    body = json_body()
    action = body.get("action")
    if not isinstance(action, str) or action not in CORRECTIONS:
        raise Problem("action must be retract or restate", "action")
    revenue = parse_revenue(body.get("revenue")) if action == "restate" else None
    ledger = _ledger()
    sale, correction, to_google = ledger.correct(
        ledger.conversion(conversion_uuid(cid)), action, revenue, utc_now()
    )
    return reply(
        {"conversion": _view(sale), "correction": _view(correction) if correction else None},
        201 if to_google else 200,
    )


@bp.post("/conversions/<cid>/fix")
def fix_sale(cid: str) -> Response:
    """Amount and/or date of a PENDING sale; a sale Google has answers 409 `correction_needed`."""
    body = json_body()
    if "revenue" not in body and "closed_at" not in body:
        raise Problem("send revenue and/or closed_at", "revenue")
    now = utc_now()
    ledger = _ledger()
    sale = ledger.conversion(conversion_uuid(cid))
    revenue = parse_revenue(body["revenue"]) if "revenue" in body else None
    closed_at = parse_closed_at(body["closed_at"], now) if "closed_at" in body else None
    fixed = ledger.fix(sale, revenue, closed_at, now)
    return reply(
        {
            "conversion_id": str(sale["conversion_id"]),
            "state": fixed["state"],
            "revenue": fixed["revenue"],
            "closed_at": fixed["closed_at"],
        }
    )
