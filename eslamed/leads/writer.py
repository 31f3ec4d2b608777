"""Turns accepted leads into `leads` rows: existence checks by lead_id, attribution, the insert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eslamed.core.sql import leads as sql
from eslamed.core.store import Store
from eslamed.leads.attribution import attribute, lookup_history

ROW_TEXT = (
    "status", "source", "name", "phone", "message", "url", "variant", "gclid", "gbraid", "wbraid",
    "click_id_origin", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "visitor_id",
    "landing_page", "first_source", "last_source", "country", "subdivision", "city", "device", "browser",
    "os", "spam_reason", "note",
)  # fmt: skip


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def to_row(record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lead_id": uuid.UUID(record["lead_id"]),
        "version": record["version"],
        "created_at": _utc(record["created_at"]),
        "updated_at": _utc(record["created_at"]),
        "consent": int(record["consent"]),
        "clicked_at": _utc(record.get("clicked_at") or 0),
        "visit_key": record.get("visit_key", ""),  # journal records of older releases have none
    }
    for name in ROW_TEXT:
        row[name] = record[name]
    return row


# Filled in by attribution when a journaled lead is replayed; every other row field is in the record.
ATTRIBUTED = frozenset({"click_id_origin", "landing_page", "first_source", "last_source"})


def check_record(record: dict[str, Any]) -> None:
    """Raises KeyError, ValueError or TypeError when a journal record (attributed or not yet) cannot
    become its rows: the replay quarantines it instead of sending it."""
    uuid.UUID(record["lead_id"])
    for name in ("version", "created_at", "consent"):
        if not isinstance(record[name], int | float):
            raise TypeError(f"{name} must be a number, not {type(record[name]).__name__}")
    for name in ROW_TEXT:
        if (name not in ATTRIBUTED or name in record) and not isinstance(record[name], str):
            raise TypeError(f"{name} must be text, not {type(record[name]).__name__}")
    if record.get("ref"):
        ref_row(record)


def ref_row(record: dict[str, Any]) -> dict[str, Any]:
    """A WhatsApp tap's reference code bound to its lead, click id and page (issue 16)."""
    return {
        "ref": record["ref"],
        "lead_id": uuid.UUID(record["lead_id"]),
        "created_at": _utc(record["created_at"]),
        "gclid": record["gclid"],
        "url": record["url"],
    }


class LeadWriter:
    def __init__(self, store: Store, own_hosts: frozenset[str]) -> None:
        self.store = store
        self.own_hosts = own_hosts

    def statuses(self, lead_ids: list[str]) -> dict[str, str]:
        """Current status of those leads that are already in ClickHouse."""
        rows = self.store.query(sql.EXISTING.format(db=self.store.database), {"ids": tuple(lead_ids)})
        return dict(rows)

    def attributed(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its click id and journey; a journaled lead is attributed when replayed."""
        if record.get("attributed"):
            return record
        click = (record["gclid"], record["gbraid"], record["wbraid"])
        history = lookup_history(
            self.store, record["visitor_id"], _utc(record["created_at"]), click, record.get("visit_key", "")
        )
        return {**attribute(record, history, self.own_hosts), "attributed": True}

    def insert(self, records: list[dict[str, Any]]) -> int:
        refs = [ref_row(r) for r in records if r.get("ref")]
        if refs:  # before the lead: a failed lead insert is journaled and replayed, refs and all
            self.store.insert_rows("lead_refs", refs)
        return self.store.insert_rows("leads", [to_row(r) for r in records])

    def store_missing(self, records: list[dict[str, Any]]) -> int:
        """Journal replay: store the records ClickHouse does not have yet, each lead_id once."""
        unique = {r["lead_id"]: r for r in records}
        present = self.statuses(list(unique))
        missing = [self.attributed(r) for lead_id, r in unique.items() if lead_id not in present]
        return self.insert(missing)
