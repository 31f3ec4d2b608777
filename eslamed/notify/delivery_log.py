"""Delivery state rows in `notifications` (PENDING, RETRY, SENT, FAILED), one new row per change.

Rows are batched: `record` only queues, the notifier's sweep writes them in one insert (a
ClickHouse part per state change would not keep up). Rows wait in memory while ClickHouse
is down; the outbox, not this log, is what guarantees delivery.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from eslamed.core.clock import new_version
from eslamed.core.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

MAX_WAITING = 10_000


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def state_row(entry: dict[str, Any], state: str, now: float) -> dict[str, Any]:
    return {
        "lead_id": uuid.UUID(entry["lead_id"]),
        "channel": entry["channel"],
        "target": entry["target"]["address"],
        "version": new_version(),
        "created_at": _utc(entry["created_at"]),
        "updated_at": _utc(now),
        "state": state,
        "attempts": entry["attempts"],
        "last_error": entry.get("last_error", ""),
    }


class DeliveryLog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any], state: str) -> None:
        self._waiting.append(state_row(entry, state, time.time()))
        del self._waiting[:-MAX_WAITING]

    def flush(self) -> None:
        if not self._waiting:
            return
        rows, self._waiting = self._waiting, []
        try:
            self.store.insert_rows("notifications", rows)
        except StoreUnavailable as exc:
            self._waiting = rows + self._waiting
            log.warning("%d notification state rows wait for ClickHouse: %s", len(self._waiting), exc)
