"""Sales: 'Satış Onayla' (a PENDING conversion, the lead CONVERTED), the upload-state list,
'Yeniden gönder' (queue a RETRY/FAILED conversion again) and 'Satışı düzelt / iptal' (a correction)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, request

from eslamed.admin.http import fail, json_body, now_utc, reply, runtime, store
from eslamed.admin.lead_changes import new_version
from eslamed.admin.leads import load_lead, save_change
from eslamed.admin.sale import (
    conversion_id,
    conversion_row,
    correction_row,
    parse_closed_at,
    parse_deal_type,
    parse_revenue,
)
from eslamed.admin.stages import SALE_STAGE, sale_action_id
from eslamed.conversions.model import FAILED, MANUAL, RESTATEMENT, RETRACTION, RETRY, SKIPPED, UPLOADED
from eslamed.conversions.uploader import requeue
from eslamed.core.config import Settings
from eslamed.core.sql import admin as sql
from eslamed.core.sql import conversions as conversion_sql
from eslamed.ingest.validate import ValidationError, check_string

bp = Blueprint("admin_conversions", __name__)

UPLOAD_STATES = ("PENDING", "UPLOADED", "RETRY", "FAILED", "SKIPPED", MANUAL)
CORRECTIONS = {"retract": RETRACTION, "restate": RESTATEMENT}
UPLOADER_PREFIXES = ("GOOGLE_ADS_", "DATAMANAGER_")


def uploader_configured(settings: Settings) -> bool:
    """Any Google Ads / Data Manager setting present; the uploader itself validates the full set."""
    return any(value for key, value in settings.extra.items() if key.startswith(UPLOADER_PREFIXES))


def _same_sale(row: dict[str, Any], revenue: Any, deal_type: str) -> bool:
    return row["revenue"] == revenue and row["deal_type"] == deal_type


def _created(row: dict[str, Any], lead_status: str, status: int, duplicate: bool = False) -> Response:
    body = {
        "conversion_id": str(row.get("cid") or row.get("conversion_id")),
        "state": row["state"],
        "revenue": row["revenue"],
        "currency": row["currency"],
        "deal_type": row["deal_type"],
        "deal_seq": row["deal_seq"],
        "closed_at": row["closed_at"],
        "lead_status": lead_status,
    }
    if duplicate:
        body["duplicate"] = True
    return reply(body, status)


@bp.post("/leads/<lead_id>/convert")
def convert(lead_id: str) -> Response:
    """Idempotent: the same Idempotency-Key, or the same first sale asked again, returns the stored row."""
    body = json_body()
    now = now_utc()
    revenue = parse_revenue(body.get("revenue"))
    deal_type = parse_deal_type(body.get("deal_type"))
    closed_at = parse_closed_at(body.get("closed_at"), now)
    second_deal = body.get("second_deal", False)
    if not isinstance(second_deal, bool):
        raise ValidationError("second_deal must be true or false", "second_deal")
    key = check_string(request.headers.get("Idempotency-Key", ""), "Idempotency-Key", 100).strip()

    db = store()
    lead = load_lead(lead_id)
    rows = db.query_dicts(sql.LEAD_CONVERSIONS.format(db=db.database), {"lead_id": lead["lead_id"]})
    existing = [r for r in rows if r["stage"] in ("", SALE_STAGE) and not r["adjustment"]]
    by_id = {row["cid"]: row for row in existing}
    if key and conversion_id(lead_id, 0, key) in by_id:
        return _created(by_id[conversion_id(lead_id, 0, key)], lead["status"], 200, duplicate=True)
    if (existing or lead["status"] == "CONVERTED") and not second_deal:
        first = by_id.get(conversion_id(lead_id, 1))
        if not key and first is not None and _same_sale(first, revenue, deal_type):
            return _created(first, lead["status"], 200, duplicate=True)
        fail(
            409,
            "lead already converted; send second_deal: true for another sale",
            "Bu talep zaten satışa dönüştü. Yeni bir satışsa 'ikinci satış' olarak onaylayın.",
            conversions=existing,
        )
    deal_seq = max((row["deal_seq"] for row in existing), default=0) + 1
    cid = conversion_id(lead_id, deal_seq, key)
    row = conversion_row(lead, cid, deal_seq, revenue, deal_type, closed_at, now, new_version())
    row.update(stage=SALE_STAGE, conversion_action_id=sale_action_id())
    db.insert_rows("conversions", [row])
    note = f"Satış onaylandı: {revenue} TRY ({deal_type})"
    save_change(lead, note, status="CONVERTED")
    return _created(row, "CONVERTED", 201)


@bp.get("/conversions")
def list_conversions() -> Response:
    state = request.args.get("state", "")
    if state and state not in UPLOAD_STATES:
        raise ValidationError(f"state must be one of {', '.join(UPLOAD_STATES)}", "state")
    try:
        limit = max(1, min(int(request.args.get("limit") or 100), 500))
    except ValueError as exc:
        raise ValidationError("limit must be a whole number", "limit") from exc
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


def _conversion(raw_id: str) -> dict[str, Any]:
    try:
        cid = uuid.UUID(raw_id)
    except ValueError as exc:
        raise ValidationError("conversion id must be a UUID", "conversion_id") from exc
    db = store()
    rows = db.query_dicts(conversion_sql.BY_IDS.format(db=db.database), {"ids": (cid,)})
    if not rows:
        fail(404, "no such conversion", "Satış bulunamadı")
    return rows[0]


def _view(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("state", "attempts", "reason", "revenue", "stage", "adjustment", "adjusts", "next_attempt_at")
    return {"conversion_id": str(row["conversion_id"]), **{k: row[k] for k in keep}}


@bp.post("/conversions/<cid>/retry")
def retry(cid: str) -> Response:
    """'Yeniden gönder': a RETRY or FAILED conversion starts again from attempt zero, due now."""
    row = _conversion(cid)
    if row["state"] not in (RETRY, FAILED):
        fail(
            409,
            f"only RETRY or FAILED conversions can be sent again; this one is {row['state']}",
            "Yalnızca bekleyen (RETRY) veya başarısız (FAILED) satışlar yeniden gönderilebilir",
        )
    db = store()
    requeue(db, (RETRY, FAILED), now_utc(), ids=(row["conversion_id"],))
    return reply({"conversion": _view(_conversion(cid))})


@bp.post("/conversions/<cid>/correct")
def correct(cid: str) -> Response:
    """'Satışı düzelt / iptal': retract (cancel) or restate (new value) a sale. Not sent yet: the sale
    itself changes. Uploaded: a correction row goes to Google (MANUAL where the API has no way)."""
    body = json_body()
    action = body.get("action")
    if not isinstance(action, str) or action not in CORRECTIONS:
        raise ValidationError("action must be retract or restate", "action")
    revenue = parse_revenue(body.get("revenue")) if action == "restate" else None
    sale = _conversion(cid)
    if sale["adjustment"]:
        fail(
            409,
            "a correction cannot be corrected; correct the sale",
            "Düzeltme düzeltilemez; satışı düzeltin",
        )
    db = store()
    now = now_utc()
    earlier = db.query_dicts(
        conversion_sql.CORRECTIONS_OF.format(db=db.database), {"adjusts": str(sale["conversion_id"])}
    )
    if any(c["adjustment"] == RETRACTION for c in earlier):
        fail(409, "this sale is already retracted", "Bu satış zaten iptal edildi")
    row = correction_row(
        sale, CORRECTIONS[action], revenue or sale["revenue"], len(earlier) + 1, now, new_version()
    )
    if sale["state"] == UPLOADED:
        db.insert_rows("conversions", [row])
        return reply({"conversion": _view(sale), "correction": _view(row)}, 201)
    new = {k: v for k, v in sale.items() if k != "version_max"}
    new.update(version=max(new_version(), sale["version_max"] + 1), updated_at=now)
    if action == "restate":
        new["revenue"] = revenue
        db.insert_rows("conversions", [new])
        return reply({"conversion": _view(new), "correction": None})
    # Never sent, so nothing goes to Google; the retraction row is kept (SKIPPED) so the stats and
    # the lead's sales read one rule for every cancelled sale.
    never_sent = "Satış iptal edildi; Google'a gönderilmedi / Sale cancelled, never sent"
    new.update(state=SKIPPED, reason=never_sent)
    row.update(state=SKIPPED, reason=never_sent)
    db.insert_rows("conversions", [new, row])
    return reply({"conversion": _view(new), "correction": _view(row)})
