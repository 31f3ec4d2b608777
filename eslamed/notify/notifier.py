"""Sends each new lead to every configured channel, in the background, until it gets through.

The first attempt starts at once in the worker that took the lead. Every queued message is
an outbox file; when an attempt fails the file gets its next time (exponential backoff), and
the sweep retries it then. One worker at a time sweeps (it holds an flock), so two workers
never send the same retry; a fresh first attempt is left alone for FIRST_ATTEMPT_GRACE_S.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import gevent
import gevent.pool

from eslamed.core import metrics
from eslamed.core.config import Settings
from eslamed.core.jobs import Job
from eslamed.core.locks import Leader
from eslamed.core.phone import mask_phone
from eslamed.core.store import Store
from eslamed.notify.channel import Channel, DeliveryError
from eslamed.notify.delivery_log import DeliveryLog
from eslamed.notify.message import LeadSummary
from eslamed.notify.outbox import Entry, Outbox, entry_key
from eslamed.notify.telegram import Telegram
from eslamed.notify.webpush import WebPush
from eslamed.notify.whatsapp import WhatsApp

log = logging.getLogger(__name__)

FIRST_ATTEMPT_GRACE_S = 60.0
MAX_BACKOFF_S = 900.0
RETRY_CONCURRENCY = 20


def backoff_s(base_s: float, attempts: int) -> float:
    """Delay before attempt `attempts + 1`: base, 2·base, 4·base… capped at 15 minutes."""
    return min(base_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)


def configured_channels(settings: Settings, store: Store) -> dict[str, Channel]:
    built = (
        Telegram.from_settings(settings),
        WhatsApp.from_settings(settings),
        WebPush.from_settings(settings, store),
    )
    return {channel.name: channel for channel in built if channel is not None}


class Notifier:
    def __init__(
        self,
        channels: dict[str, Channel],
        outbox: Outbox,
        delivery_log: DeliveryLog,
        lock_path: Path,
        retry_s: float,
        max_attempts: int,
        sweep_s: float,
    ) -> None:
        self.channels = channels
        self.outbox = outbox
        self.delivery_log = delivery_log
        self.retry_s = retry_s
        self.max_attempts = max_attempts
        self.sweep_s = sweep_s
        self._first = gevent.pool.Group()  # never blocks the request that queues a lead
        self._retries = gevent.pool.Pool(RETRY_CONCURRENCY)  # bounds a sweep after a long outage
        self._in_flight: set[str] = set()
        self.leader = Leader(lock_path)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> Notifier:
        return cls(
            configured_channels(settings, store),
            Outbox(settings.data_dir / "outbox"),
            DeliveryLog(store),
            settings.locks_dir / "notify-sweep.lock",
            settings.notify_retry_s,
            settings.notify_max_attempts,
            settings.notify_sweep_s,
        )

    def notify(self, summary: LeadSummary) -> int:
        """Queue the lead for every channel and target, start the first attempts; returns how many."""
        now = time.time()
        queued: list[Entry] = []
        for name, channel in self.channels.items():
            for target in channel.targets():
                entry: Entry = {
                    # a lead's later news (its number arrived) is a notification of its own
                    "key": entry_key(
                        f"{summary.lead_id}.{summary.event}" if summary.event else summary.lead_id,
                        name,
                        target["address"],
                    ),
                    "lead_id": summary.lead_id,
                    "channel": name,
                    "target": target,
                    "summary": summary.to_dict(),
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now + FIRST_ATTEMPT_GRACE_S,
                    "last_error": "",
                }
                try:
                    added = self.outbox.add(entry)
                except OSError as exc:
                    # a full or broken DATA_DIR: the lead is stored, so the owner is told without the outbox
                    log.error("ALERT outbox write failed (%s); lead %s sent directly", exc, summary.lead_id)
                    metrics.NOTIFICATIONS.labels(name, "direct").inc()
                    self._first.spawn(self._send_direct, entry)
                    continue
                if added:
                    self.delivery_log.record(entry, "PENDING")
                    queued.append(entry)
        if queued:
            self.outbox.sync()
        for entry in queued:
            self._first.spawn(self.attempt, entry)
        return len(queued)

    def _send_direct(self, entry: Entry) -> None:
        """Attempts held in memory only, with the usual backoff: nothing on disk to retry from."""
        summary = LeadSummary(**entry["summary"])
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.channels[entry["channel"]].send(summary, entry["target"])
            except Exception as exc:
                log.warning(
                    "lead %s: direct %s attempt %d failed: %s",
                    entry["lead_id"],
                    entry["channel"],
                    attempt,
                    exc,
                )
                gevent.sleep(backoff_s(self.retry_s, attempt))
                continue
            metrics.NOTIFICATIONS.labels(entry["channel"], "sent").inc()
            return
        metrics.NOTIFICATIONS.labels(entry["channel"], "failed").inc()

    def attempt(self, entry: Entry) -> None:
        key = entry["key"]
        if key in self._in_flight:
            return
        self._in_flight.add(key)
        try:
            self._attempt(entry)
        finally:
            self._in_flight.discard(key)

    def _attempt(self, entry: Entry) -> None:
        channel = self.channels.get(entry["channel"])
        entry["attempts"] += 1
        summary = LeadSummary(**entry["summary"])
        if channel is None:
            self._give_up(entry, f"channel {entry['channel']} is no longer configured")
            return
        try:
            channel.send(summary, entry["target"])
        except DeliveryError as exc:
            self._failed(entry, str(exc), exc.retryable)
            return
        except Exception as exc:
            log.exception("notification %s crashed", entry["key"])
            self._failed(entry, f"{exc.__class__.__name__}", True)
            return
        entry["last_error"] = ""
        self.delivery_log.record(entry, "SENT")
        self.outbox.remove(entry)
        metrics.NOTIFICATIONS.labels(entry["channel"], "sent").inc()
        log.info(
            "lead %s (%s) sent by %s after %d attempt(s)",
            entry["lead_id"],
            mask_phone(summary.phone),
            entry["channel"],
            entry["attempts"],
        )

    def _failed(self, entry: Entry, error: str, retryable: bool) -> None:
        entry["last_error"] = error
        if not retryable or entry["attempts"] >= self.max_attempts:
            self._give_up(entry, error)
            return
        entry["next_attempt_at"] = time.time() + backoff_s(self.retry_s, entry["attempts"])
        self.outbox.update(entry)
        self.delivery_log.record(entry, "RETRY")
        metrics.NOTIFICATIONS.labels(entry["channel"], "retry").inc()
        log.warning(
            "lead %s (%s): %s attempt %d failed (%s), retrying",
            entry["lead_id"],
            mask_phone(entry["summary"]["phone"]),
            entry["channel"],
            entry["attempts"],
            error,
        )

    def _give_up(self, entry: Entry, error: str) -> None:
        entry["last_error"] = error
        self.outbox.give_up(entry)
        self.delivery_log.record(entry, "FAILED")
        metrics.NOTIFICATIONS.labels(entry["channel"], "failed").inc()
        log.error(
            "lead %s (%s): %s gave up after %d attempt(s): %s",
            entry["lead_id"],
            mask_phone(entry["summary"]["phone"]),
            entry["channel"],
            entry["attempts"],
            error,
        )

    def sweep_once(self) -> int:
        """Retry what is due (sweeping worker only); write state rows that waited for ClickHouse."""
        self.delivery_log.flush()
        if not self.leader.acquire():
            return 0
        due = [e for e in self.outbox.due(time.time()) if e["key"] not in self._in_flight]
        for entry in due:
            self._retries.spawn(self.attempt, entry)
        metrics.OUTBOX_PENDING.set(self.outbox.pending_count())
        return len(due)

    def job(self) -> Job:
        """The sweep, every NOTIFY_SWEEP_S in every worker (each flushes its own delivery log)."""
        return Job(
            "notify-sweep", self.sweep_once, self.sweep_s, backoff_max_s=self.sweep_s, on_stop=self.stop
        )

    def stop(self, deadline_s: float = 5.0) -> None:
        """Let the attempts in flight finish, keep their results, and leave the sweep to another worker."""
        self._first.join(timeout=deadline_s)
        self._retries.join(timeout=deadline_s)
        self.delivery_log.flush()
        self.leader.release()
