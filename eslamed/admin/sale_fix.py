"""Fixing a wrong sale before it reaches Google: amount and date of a PENDING sale, as a new version.

A sale Google already has (UPLOADED, or in flight) cannot be edited here: Google needs a correction
or a retraction for it, which the conversions package owns (the PWA shows those sales as
"Google'a gönderildi" and offers no edit). The answer 409 carries `correction_needed: true` so a
client knows which path applies. Known limit: an uploader that takes the sale between this read
and the write below sends the old values, and the fixed PENDING version is sent again after it;
what Google keeps then is up to the conversions package (its dedup and correction path).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from eslamed.admin.http import fail, json_body, now_utc, reply, store
from eslamed.admin.lead_changes import change_log_row, new_version
from eslamed.admin.leads import load_lead
from eslamed.admin.sale import parse_closed_at, parse_revenue
from eslamed.core.sql import admin as sql
from eslamed.ingest.validate import ValidationError, parse_uuid

bp = Blueprint("admin_sale_fix", __name__)

EDITABLE_STATES = ("PENDING",)


@bp.post("/conversions/<conversion_id>/fix")
def fix_sale(conversion_id: str) -> Response:
    body = json_body()
    if "revenue" not in body and "closed_at" not in body:
        raise ValidationError("send revenue and/or closed_at", "revenue")
    now = now_utc()
    db = store()
    key = {"conversion_id": uuid.UUID(parse_uuid(conversion_id, "conversion_id"))}
    rows = db.query_dicts(sql.CONVERSION.format(db=db.database), key)
    if not rows:
        fail(404, "no such sale", "Satış bulunamadı")
    sale = rows[0]
    if sale["state"] not in EDITABLE_STATES:
        fail(
            409,
            f"sale is {sale['state']}: Google needs a correction or retraction, not an edit",
            "Bu satış Google'a gönderildi; düzeltme veya geri çekme gerekir.",
            correction_needed=True,
        )
    fixed = dict(sale)
    if "revenue" in body:
        fixed["revenue"] = parse_revenue(body["revenue"])
    if "closed_at" in body:
        fixed["closed_at"] = parse_closed_at(body["closed_at"], now)
    fixed.update(version=new_version(), updated_at=now)
    db.insert_rows("conversions", [fixed])
    lead = load_lead(str(sale["lead_id"]))
    note = (
        f"Satış düzeltildi: {sale['revenue']:.2f} → {fixed['revenue']:.2f} TRY, {fixed['closed_at']:%Y-%m-%d}"
    )
    log_row = {**lead, "version": fixed["version"], "updated_at": now}
    db.insert_rows("lead_changes", [change_log_row(log_row, note)])
    return reply(
        {
            "conversion_id": str(sale["conversion_id"]),
            "state": fixed["state"],
            "revenue": fixed["revenue"],
            "closed_at": fixed["closed_at"],
        }
    )
