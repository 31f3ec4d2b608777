"""Web Push subscriptions of the owner's devices, stored in ClickHouse and cached per worker.

The cache keeps the last list it read, so a lead that arrives while ClickHouse is down
still reaches every device known a moment ago.
"""

from __future__ import annotations

import logging
import time

import gevent

from eslamed.core.clock import new_version, utc_now
from eslamed.core.sql import notifications as sql
from eslamed.core.store import Store, StoreUnavailable
from eslamed.notify.channel import Target

log = logging.getLogger(__name__)

REFRESH_TIMEOUT_S = 0.5
RETRY_AFTER_FAILURE_S = 5.0


def _row(endpoint: str, p256dh: str, auth: str, active: bool) -> dict:
    return {
        "endpoint": endpoint,
        "version": new_version(),
        "p256dh": p256dh,
        "auth": auth,
        "created_at": utc_now(),
        "active": int(active),
    }


def save(store: Store, endpoint: str, p256dh: str, auth: str) -> None:
    store.insert_rows("push_subscriptions", [_row(endpoint, p256dh, auth, True)])


def deactivate(store: Store, target: Target) -> None:
    """The push service said the subscription is gone (404/410): stop sending to it."""
    store.insert_rows(
        "push_subscriptions", [_row(target["address"], target["p256dh"], target["auth"], False)]
    )


def active(store: Store) -> list[Target]:
    rows = store.query(sql.ACTIVE_SUBSCRIPTIONS.format(db=store.database))
    return [{"address": endpoint, "p256dh": p256dh, "auth": auth} for endpoint, p256dh, auth in rows]


class SubscriptionCache:
    def __init__(self, store: Store, ttl_s: float = 30.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._targets: list[Target] = []
        self._read_at = float("-inf")

    def get(self) -> list[Target]:
        """Runs in the request that queues a lead, so a slow ClickHouse costs it at most REFRESH_TIMEOUT_S."""
        if time.monotonic() - self._read_at >= self.ttl_s:
            self._read_at = time.monotonic()
            try:
                with gevent.Timeout(REFRESH_TIMEOUT_S, StoreUnavailable("no answer")):
                    self._targets = active(self.store)
            except StoreUnavailable as exc:
                self._read_at -= self.ttl_s - RETRY_AFTER_FAILURE_S
                log.warning("push subscriptions not refreshed, using %d known: %s", len(self._targets), exc)
        return list(self._targets)

    def invalidate(self) -> None:
        self._read_at = float("-inf")
