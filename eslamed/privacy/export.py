"""`privacy export`: everything held about one person, as JSON (KVKK art. 11: the right to learn it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eslamed.core.config import Settings
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store
from eslamed.privacy.ledger import ledger_for, log_access
from eslamed.privacy.person import NONE, Person

GOOGLE_NOTE = (
    "Google Ads'e gönderilen satışlarda Google yalnızca reklam tıklama kimliğini ve telefonun SHA-256 "
    "özetini tutar. / Sales sent to Google Ads are held there only as the ad click id and the SHA-256 "
    "hash of the phone."
)


def _browsers(person: Person) -> dict[str, tuple[str, ...]]:
    return {"visitors": person.visitors or NONE, "keys": person.visit_keys or NONE}


def export(store: Store, person: Person, now: datetime) -> dict[str, Any]:
    """Leads with every version and change, sales with their upload state, notifications, inbound
    messages and the events of the person's visitor ids."""
    db = store.database
    ids = {"ids": tuple(uuid.UUID(i) for i in person.lead_ids)}
    sales = store.query_dicts(sql.SALE_ROWS.format(db=db), ids)
    return {
        "exported_at": now.isoformat() + "Z",
        "person": {"phone": person.phone, "names": list(person.names), "visitor_ids": list(person.visitors)},
        "leads": store.query_dicts(sql.LEAD_ROWS.format(db=db), ids),
        "lead_changes": store.query_dicts(sql.LEAD_CHANGE_ROWS.format(db=db), ids),
        "sales": sales,
        "notifications": store.query_dicts(sql.NOTIFICATION_ROWS.format(db=db), ids),
        "inbound": store.query_dicts(
            sql.INBOUND_ROWS.format(db=db), {**ids, "phones": person.spellings or NONE}
        ),
        "events": store.query_dicts(
            sql.EVENT_ROWS.format(db=db),
            {"visitors": person.visitors or NONE, "keys": person.visit_keys or NONE},
        ),
        "google": GOOGLE_NOTE if any(s["state"] == "UPLOADED" for s in sales) else "",
    }


def export_logged(
    store: Store, settings: Settings, person: Person, actor: str, now: datetime
) -> tuple[dict[str, Any], str]:
    """The export, written to the access log (who, which leads, how many rows of each kind); returns it
    and those counts."""
    held = export(store, person, now)
    counts = ", ".join(f"{k} {len(v)}" for k, v in held.items() if isinstance(v, list))
    phone_hmac = ledger_for(settings).phone_hmac(person.phone)
    log_access(store, actor, "export", list(person.lead_ids), phone_hmac, counts, now)
    return held, counts
