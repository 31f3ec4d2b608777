"""The sale ledger: 'Satış Onayla', 'Satışı düzelt / iptal', a fix before upload, 'Yeniden gönder',
and the next version of a conversion row, which every writer of `conversions` takes from here.

The rules live here, not in the routes: a sale asked twice (same Idempotency-Key, or the same first
sale again) is the stored one; another sale on a converted lead needs `second_deal`; a sale not sent
yet changes itself, a sale Google has gets a correction row (RETRACTION / RESTATEMENT) of its own;
a correction is never corrected; only RETRY and FAILED are sent again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from eslamed.conversions.model import (
    FAILED,
    PENDING,
    RESTATEMENT,
    RETRACTION,
    RETRY,
    SKIPPED,
    UPLOADED,
)
from eslamed.conversions.reasons import text
from eslamed.conversions.sale import conversion_id, conversion_row, correction_row
from eslamed.conversions.stages import SALE_STAGE
from eslamed.core.clock import new_version
from eslamed.core.problems import conflict, not_found
from eslamed.core.sql import admin as admin_sql
from eslamed.core.sql import conversions as sql
from eslamed.core.store import Store
from eslamed.leads.lifecycle import LeadBook

CORRECTIONS = {"retract": RETRACTION, "restate": RESTATEMENT}
EDITABLE_STATES = (PENDING,)
REQUEUED = text("Yeniden gönderim için sıraya alındı", "Queued again for upload")
NEVER_SENT = "Satış iptal edildi; Google'a gönderilmedi / Sale cancelled, never sent"


def next_version(row: dict[str, Any], now: datetime, **changes: Any) -> dict[str, Any]:
    """A conversion's next version: the row read with `version_max` (the highest version stored for
    it), its changes, a version above that and updated_at."""
    new = {k: v for k, v in row.items() if k != "version_max"}
    new.update(changes, version=new_version(row["version_max"]), updated_at=now)
    return new


@dataclass(frozen=True)
class Sale:
    """A convert request's answer: the row, the lead's status after it, and whether it is new."""

    row: dict[str, Any]
    lead_status: str
    created: bool


def _same_sale(row: dict[str, Any], revenue: Decimal, deal_type: str) -> bool:
    return row["revenue"] == revenue and row["deal_type"] == deal_type


class SaleLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.database
        self.leads = LeadBook(store)

    def conversion(self, cid: uuid.UUID) -> dict[str, Any]:
        rows = self.store.query_dicts(sql.BY_IDS.format(db=self.db), {"ids": (cid,)})
        if not rows:
            raise not_found("no such conversion", "Satış bulunamadı")
        return rows[0]

    def convert(
        self,
        lead: dict[str, Any],
        revenue: Decimal,
        deal_type: str,
        closed_at: datetime,
        now: datetime,
        second_deal: bool = False,
        key: str = "",
        action_id: str = "",
    ) -> Sale:
        """Idempotent: the same Idempotency-Key, or the same first sale again, returns the stored row."""
        lead_id = str(lead["lead_id"])
        rows = self.store.query_dicts(
            admin_sql.LEAD_CONVERSIONS.format(db=self.db), {"lead_id": lead["lead_id"]}
        )
        existing = [r for r in rows if r["stage"] in ("", SALE_STAGE) and not r["adjustment"]]
        by_id = {row["cid"]: row for row in existing}
        if key and conversion_id(lead_id, 0, key) in by_id:
            return Sale(by_id[conversion_id(lead_id, 0, key)], lead["status"], created=False)
        if (existing or lead["status"] == "CONVERTED") and not second_deal:
            first = by_id.get(conversion_id(lead_id, 1))
            if not key and first is not None and _same_sale(first, revenue, deal_type):
                return Sale(first, lead["status"], created=False)
            raise conflict(
                "lead already converted; send second_deal: true for another sale",
                "Bu talep zaten satışa dönüştü. Yeni bir satışsa 'ikinci satış' olarak onaylayın.",
                conversions=existing,
            )
        deal_seq = max((row["deal_seq"] for row in existing), default=0) + 1
        cid = conversion_id(lead_id, deal_seq, key)
        row = conversion_row(lead, cid, deal_seq, revenue, deal_type, closed_at, now, new_version())
        row.update(stage=SALE_STAGE, conversion_action_id=action_id)
        self.store.insert_rows("conversions", [row])
        self.leads.change(lead, f"Satış onaylandı: {revenue} TRY ({deal_type})", status="CONVERTED")
        return Sale(row, "CONVERTED", created=True)

    def correct(
        self, sale: dict[str, Any], action: str, revenue: Decimal | None, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any] | None, bool]:
        """Retract (cancel) or restate (new value) a sale: (the sale after it, the correction row or None,
        whether a correction goes to Google). Not sent yet: the sale itself changes. Uploaded: a
        correction row goes to Google (MANUAL where the API has no way)."""
        if sale["adjustment"]:
            raise conflict(
                "a correction cannot be corrected; correct the sale", "Düzeltme düzeltilemez; satışı düzeltin"
            )
        earlier = self.store.query_dicts(
            sql.CORRECTIONS_OF.format(db=self.db), {"adjusts": str(sale["conversion_id"])}
        )
        if any(c["adjustment"] == RETRACTION for c in earlier):
            raise conflict("this sale is already retracted", "Bu satış zaten iptal edildi")
        row = correction_row(
            sale, CORRECTIONS[action], revenue or sale["revenue"], len(earlier) + 1, now, new_version()
        )
        if sale["state"] == UPLOADED:
            self.store.insert_rows("conversions", [row])
            return sale, row, True
        if action == "restate":
            new = next_version(sale, now, revenue=revenue)
            self.store.insert_rows("conversions", [new])
            return new, None, False
        # Never sent, so nothing goes to Google; the retraction row is kept (SKIPPED) so the stats and
        # the lead's sales read one rule for every cancelled sale.
        new = next_version(sale, now, state=SKIPPED, reason=NEVER_SENT)
        row.update(state=SKIPPED, reason=NEVER_SENT)
        self.store.insert_rows("conversions", [new, row])
        return new, row, False

    def fix(
        self, sale: dict[str, Any], revenue: Decimal | None, closed_at: datetime | None, now: datetime
    ) -> dict[str, Any]:
        """Amount and date of a sale not sent yet, as a new version, noted in the lead's history.

        A sale Google already has (UPLOADED, or in flight) needs a correction or a retraction instead:
        the 409 carries `correction_needed: true` so a client knows which path applies. Known limit: an
        uploader that takes the sale between this read and the write sends the old values, and the fixed
        PENDING version is sent again after it."""
        if sale["state"] not in EDITABLE_STATES:
            raise conflict(
                f"sale is {sale['state']}: Google needs a correction or retraction, not an edit",
                "Bu satış Google'a gönderildi; düzeltme veya geri çekme gerekir.",
                correction_needed=True,
            )
        changes: dict[str, Any] = {}
        if revenue is not None:
            changes["revenue"] = revenue
        if closed_at is not None:
            changes["closed_at"] = closed_at
        fixed = next_version(sale, now, **changes)
        self.store.insert_rows("conversions", [fixed])
        lead = self.leads.get(sale["lead_id"])
        note = (
            f"Satış düzeltildi: {sale['revenue']:.2f} → {fixed['revenue']:.2f} TRY,"
            f" {fixed['closed_at']:%Y-%m-%d}"
        )
        self.leads.log(lead, note, fixed["version"], now)
        return fixed

    def retry(self, sale: dict[str, Any], now: datetime) -> None:
        """'Yeniden gönder': a RETRY or FAILED conversion starts again from attempt zero, due now."""
        if sale["state"] not in (RETRY, FAILED):
            raise conflict(
                f"only RETRY or FAILED conversions can be sent again; this one is {sale['state']}",
                "Yalnızca bekleyen (RETRY) veya başarısız (FAILED) satışlar yeniden gönderilebilir",
            )
        requeue(self.store, (RETRY, FAILED), now, ids=(sale["conversion_id"],))


def requeue(
    store: Store,
    states: tuple[str, ...],
    now: datetime,
    note: str = REQUEUED,
    ids: tuple[uuid.UUID, ...] = (),
) -> list[dict[str, Any]]:
    """Give RETRY (and, when asked, FAILED) sales a fresh start: a PENDING version, attempts from zero,
    due now. The earlier versions stay, so the history shows why the sale needed it."""
    query = sql.BY_IDS if ids else sql.REQUEUEABLE
    rows = store.query_dicts(query.format(db=store.database), {"states": states, "ids": ids})
    rows = [row for row in rows if row["state"] in states]
    new_rows = []
    for row in rows:
        previous = f"{row['state']}: {row['reason']}" if row["reason"] else row["state"]
        new_rows.append(
            next_version(
                row, now, state=PENDING, attempts=0, reason=f"{note} ({previous})", next_attempt_at=now
            )
        )
    if new_rows:
        store.insert_rows("conversions", new_rows)
    return rows
