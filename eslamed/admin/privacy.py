"""The owner's KVKK tools on a lead: "Verilerini indir" (everything held about the person, as a JSON
download), "Verilerini sil" (erase them everywhere, after the owner types SİL), and the access log.
Each export and erase is logged with the admin's address, never with the data itself."""

from __future__ import annotations

from flask import Blueprint, Response, request

from eslamed.admin.http import json_body, lead_uuid, runtime, store
from eslamed.core.clock import utc_now
from eslamed.core.problems import Problem
from eslamed.core.sql import privacy as sql
from eslamed.privacy.erase import erase
from eslamed.privacy.export import export_logged
from eslamed.privacy.person import find
from eslamed.web.edge import client_address, reply, to_json

bp = Blueprint("admin_privacy", __name__)
CONFIRM_WORDS = ("SİL", "SIL")


def actor() -> str:
    return f"admin {client_address(request.environ, runtime().settings)}"


@bp.get("/leads/<lead_id>/export")
def export_person(lead_id: str) -> Response:
    db = store()
    person = find(db, lead_id=str(lead_uuid(lead_id)))
    held, _counts = export_logged(db, runtime().settings, person, actor(), utc_now())
    response = Response(to_json(held), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="kisisel-veri-{lead_id[:8]}.json"'
    return response


@bp.post("/leads/<lead_id>/erase")
def erase_person(lead_id: str) -> Response:
    body = json_body()
    if str(body.get("confirm", "")).strip().upper() not in CONFIRM_WORDS:
        raise Problem(
            "type SİL in confirm to erase this person everywhere; it cannot be undone",
            "confirm",
            message_tr="Silmek için kutuya SİL yazın; bu işlem geri alınamaz.",
        )
    db = store()
    person = find(db, lead_id=str(lead_uuid(lead_id)))
    report = erase(db, runtime().settings, person, actor(), utc_now())
    return reply(
        {
            "lead_ids": report.lead_ids,
            "inbound": report.inbound,
            "visitor_ids": report.visitors,
            "files": len(report.files),
            "google": report.google,
        }
    )


@bp.get("/privacy/log")
def access_log() -> Response:
    rows = store().query(sql.ACCESS_LOG.format(db=store().database), {"limit": 500})
    keys = ("at", "actor", "action", "lead_ids", "phone_hmac", "detail")
    return reply({"entries": [dict(zip(keys, row, strict=True)) for row in rows]})
