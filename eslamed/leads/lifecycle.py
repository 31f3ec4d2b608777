"""The lead ledger: every change to a lead (status, phone, note, a number that arrived by WhatsApp or
a call) is a new version of its row plus one `lead_changes` row, never an update.

The admin API, the webhooks and the CLI parse their input and call here; nothing else writes a
lead's new version, so the history the owner reads is complete by construction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eslamed.core.clock import new_version, utc_now
from eslamed.core.phone import InvalidPhone, normalize_e164
from eslamed.core.problems import Problem, conflict, not_found
from eslamed.core.sql import admin as sql
from eslamed.core.store import Store
from eslamed.ingest.validate import check_string

STATUSES = ("NEW", "CONTACTED", "CONVERTED", "LOST", "SPAM")
# NEW is settable so the owner can undo a status (or clear a wrong SPAM) in one tap
SETTABLE = ("NEW", "CONTACTED", "LOST", "SPAM")
NOTE_MAX = 1000
PHONE_ADDED = "Telefon eklendi"


def parse_status_change(body: dict[str, Any]) -> tuple[str, str]:
    status = body.get("status")
    if status not in SETTABLE:
        raise Problem(f"status must be one of {', '.join(SETTABLE)}", "status")
    note = body.get("note")
    note = "" if note is None else check_string(note, "note", NOTE_MAX).strip()
    return status, note


def parse_note(body: dict[str, Any]) -> str:
    note = check_string(body.get("note") or "", "note", NOTE_MAX).strip()
    if not note:
        raise Problem("note must not be empty", "note")
    return note


def parse_phone(body: dict[str, Any]) -> str:
    raw = check_string(body.get("phone") or "", "phone", 40)
    try:
        return normalize_e164(raw)
    except InvalidPhone as exc:
        raise Problem(str(exc), "phone") from exc


def next_row(latest: dict[str, Any], now: datetime, **changes: Any) -> dict[str, Any]:
    """The latest row copied whole, with the changed fields, a new version and updated_at."""
    unknown = set(changes) - set(latest)
    if unknown:
        raise KeyError(f"not lead columns: {sorted(unknown)}")
    return {**latest, **changes, "version": new_version(latest["version"]), "updated_at": now}


def change_log_row(row: dict[str, Any], note: str, phone_changed: bool = False) -> dict[str, Any]:
    return {
        "lead_id": row["lead_id"],
        "version": row["version"],
        "changed_at": row["updated_at"],
        "status": row["status"],
        "note": note,
        "phone_changed": int(phone_changed),
    }


class LeadBook:
    """Reads and writes one lead's versions in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, lead_id: uuid.UUID) -> dict[str, Any] | None:
        rows = self.store.query_dicts(sql.LEAD.format(db=self.store.database), {"lead_id": lead_id})
        return rows[0] if rows else None

    def get(self, lead_id: uuid.UUID) -> dict[str, Any]:
        lead = self.find(lead_id)
        if lead is None:
            raise not_found("no such lead", "Talep bulunamadı")
        return lead

    def change(
        self, lead: dict[str, Any], log_note: str, phone_changed: bool = False, **changes: Any
    ) -> dict[str, Any]:
        """The lead's new version and its history entry (`log_note`); returns the new row."""
        row = next_row(lead, utc_now(), **changes)
        self.store.insert_rows("leads", [row])
        self.store.insert_rows("lead_changes", [change_log_row(row, log_note, phone_changed)])
        return row

    def log(self, lead: dict[str, Any], note: str, version: int, at: datetime) -> None:
        """A history entry about something else that changed (a sale's amount), the lead row as it is."""
        self.store.insert_rows(
            "lead_changes", [change_log_row({**lead, "version": version, "updated_at": at}, note)]
        )

    def set_status(self, lead: dict[str, Any], status: str, note: str) -> dict[str, Any]:
        if lead["status"] == "CONVERTED":
            raise conflict(
                "a converted lead keeps its status", "Satışa dönüşmüş talebin durumu değiştirilemez"
            )
        return self.change(lead, note, status=status, note=note or lead["note"])

    def add_note(self, lead: dict[str, Any], note: str) -> dict[str, Any]:
        return self.change(lead, note, note=note)

    def set_phone(
        self, lead: dict[str, Any], phone: str, note: str = PHONE_ADDED, **more: Any
    ) -> dict[str, Any]:
        return self.change(lead, note, phone_changed=True, phone=phone, **more)
