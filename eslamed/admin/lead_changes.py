"""New versions of a lead row: a status change or a filled-in phone is a new row, never an update."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from eslamed.core.phone import InvalidPhone, normalize_e164
from eslamed.ingest.validate import ValidationError, check_string

STATUSES = ("NEW", "CONTACTED", "CONVERTED", "LOST", "SPAM")
# NEW is settable so the owner can undo a status (or clear a wrong SPAM) in one tap
SETTABLE = ("NEW", "CONTACTED", "LOST", "SPAM")
NOTE_MAX = 1000


def new_version() -> int:
    """Nanoseconds since the epoch: later changes always carry a higher version."""
    return time.time_ns()


def parse_status_change(body: dict[str, Any]) -> tuple[str, str]:
    status = body.get("status")
    if status not in SETTABLE:
        raise ValidationError(f"status must be one of {', '.join(SETTABLE)}", "status")
    note = body.get("note")
    note = "" if note is None else check_string(note, "note", NOTE_MAX).strip()
    return status, note


def parse_note(body: dict[str, Any]) -> str:
    note = check_string(body.get("note") or "", "note", NOTE_MAX).strip()
    if not note:
        raise ValidationError("note must not be empty", "note")
    return note


def parse_phone(body: dict[str, Any]) -> str:
    raw = check_string(body.get("phone") or "", "phone", 40)
    try:
        return normalize_e164(raw)
    except InvalidPhone as exc:
        raise ValidationError(str(exc), "phone") from exc


def next_row(latest: dict[str, Any], now: datetime, **changes: Any) -> dict[str, Any]:
    """The latest row copied whole, with the changed fields, a new version and updated_at."""
    unknown = set(changes) - set(latest)
    if unknown:
        raise KeyError(f"not lead columns: {sorted(unknown)}")
    return {**latest, **changes, "version": new_version(), "updated_at": now}


def change_log_row(row: dict[str, Any], note: str, phone_changed: bool = False) -> dict[str, Any]:
    return {
        "lead_id": row["lead_id"],
        "version": row["version"],
        "changed_at": row["updated_at"],
        "status": row["status"],
        "note": note,
        "phone_changed": int(phone_changed),
    }
