"""Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to each subscribed admin device."""

from __future__ import annotations

import logging

import orjson
import requests
from pywebpush import WebPushException, webpush

from eslamed.core.config import Settings
from eslamed.core.store import Store, StoreUnavailable
from eslamed.notify import subscriptions
from eslamed.notify.channel import DeliveryError, Target, http_failure
from eslamed.notify.message import LeadSummary, push_payload
from eslamed.notify.subscriptions import SubscriptionCache

log = logging.getLogger(__name__)

GONE = (404, 410)
TTL_S = 24 * 3600


class WebPush:
    name = "webpush"

    def __init__(
        self, private_key: str, subject: str, cache: SubscriptionCache, store: Store, timeout_s: float = 10.0
    ) -> None:
        self.private_key = private_key
        self.subject = subject
        self.cache = cache
        self.store = store
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> WebPush | None:
        webpush = settings.integrations.webpush
        if webpush is None:
            return None
        return cls(webpush.private_key, webpush.subject, SubscriptionCache(store), store)

    def targets(self) -> list[Target]:
        return self.cache.get()

    def send(self, summary: LeadSummary, target: Target) -> None:
        info = {"endpoint": target["address"], "keys": {"p256dh": target["p256dh"], "auth": target["auth"]}}
        try:
            webpush(
                info,
                data=orjson.dumps(push_payload(summary)).decode(),
                vapid_private_key=self.private_key,
                vapid_claims={"sub": self.subject},
                ttl=TTL_S,
                timeout=self.timeout_s,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in GONE:
                self._forget(target)
            if status:
                raise http_failure(status) from None
            raise DeliveryError(f"push failed: {exc.message[:200]}") from None
        except requests.RequestException as exc:
            raise DeliveryError(f"network error: {exc.__class__.__name__}") from None

    def _forget(self, target: Target) -> None:
        try:
            subscriptions.deactivate(self.store, target)
            self.cache.invalidate()
        except StoreUnavailable as exc:
            log.warning("could not deactivate a gone push subscription: %s", exc)
