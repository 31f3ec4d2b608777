"""Takes a validated lead to durable storage, exactly once, and hands new ones to the notifier.

Order of checks for a lead_id: the local journal first, then ClickHouse. The replayer
inserts into ClickHouse before it deletes a journal file, so a lead moving from one to the
other is always seen in at least one of them. A per-lead_id file lock keeps concurrent
resubmissions (browser retries, two workers) from both storing the same lead.

Before 201 the lead is on disk: ClickHouse fsyncs the insert where it knows
`fsync_after_insert` (store.py), and an older server (18.16) gets the lead's journal record
first, so a power loss right after the 201 leaves it to the replayer (RELIABILITY.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from clickhouse_driver import errors as ch_errors

from eslamed.core import metrics
from eslamed.core.clock import new_version
from eslamed.core.config import Settings
from eslamed.core.jobs import Job
from eslamed.core.locks import LockTimeout, held
from eslamed.core.phone import mask_phone
from eslamed.core.store import Store, StoreUnavailable
from eslamed.ingest.geo import Place
from eslamed.ingest.useragent import Agent
from eslamed.leads import tap_dedupe
from eslamed.leads.group_insert import GroupInsert
from eslamed.leads.journal import LeadJournal
from eslamed.leads.spam import spam_reason, status_for
from eslamed.leads.writer import LeadWriter, check_record, ref_row
from eslamed.notify.message import LeadSummary
from eslamed.notify.notifier import Notifier

log = logging.getLogger(__name__)

LOCK_BUCKETS = 4096
REPLAY_INTERVAL_S = 1.0
MAX_REPLAY_BACKOFF_S = 10.0
REPLAY_LOCK_CHUNK = 256  # open lock files at once, well under the worker's fd limit


STORED = "stored"
JOURNALED = "journaled"
DUPLICATE = "duplicate"
BUSY = "busy"


@dataclass(frozen=True)
class Outcome:
    """What happened to a lead; the web edge maps it to a status (201, 202, 200, 503)."""

    kind: str
    body: dict[str, Any]


def public_status(status: str) -> str:
    """A spam lead is answered like any other, so a bot learns nothing from the reply."""
    return "NEW" if status == "SPAM" else status


def new_record(lead: dict[str, Any], place: Place, agent: Agent, now: float) -> dict[str, Any]:
    """The journal/row record of a just-validated lead: status, spam verdict, visit context."""
    reason = spam_reason(lead["source"], lead["website"], lead["fill_ms"])
    record = {k: v for k, v in lead.items() if k not in ("website", "fill_ms")}
    record.update(
        status=status_for(reason),
        spam_reason=reason,
        created_at=now,
        version=new_version(),
        country=place.country,
        subdivision=place.subdivision,
        city=place.city,
        device=agent.device,
        browser=agent.browser,
        os=agent.os,
        note="",
        attributed=False,
    )
    return record


class LeadService:
    def __init__(
        self, store: Store, own_hosts: frozenset[str], settings: Settings, notifier: Notifier
    ) -> None:
        self.store = store
        self.writer = LeadWriter(store, own_hosts)
        self.journal = LeadJournal(settings.journal_dir)
        self.group_insert = GroupInsert(self.writer.insert)
        # the write-ahead of concurrent leads shares one fsync, as their inserts share one insert
        self.journal_commit = GroupInsert(self.journal.append_many)
        self.notifier = notifier
        self.timeout_s = settings.clickhouse_timeout_s
        self.locks_dir = settings.locks_dir / "leads"

    def _lock_path(self, lead_id: str) -> Path:
        bucket = int(hashlib.sha256(lead_id.encode()).hexdigest()[:8], 16) % LOCK_BUCKETS
        return self.locks_dir / f"{bucket:04d}.lock"

    def submit(self, record: dict[str, Any]) -> Outcome:
        lead_id = record["lead_id"]
        try:
            with held(self._lock_path(lead_id), wait_s=self.timeout_s * 3 + 5):
                outcome = self._store(record)
        except LockTimeout:
            metrics.LEADS.labels("busy").inc()
            return Outcome(BUSY, {"lead_id": lead_id})
        metrics.LEADS.labels(outcome.kind).inc()
        if outcome.kind in (STORED, JOURNALED):
            log.info(
                "lead %s %s source=%s phone=%s status=%s",
                lead_id,
                outcome.kind,
                record["source"],
                mask_phone(record["phone"]),
                record["status"],
            )
            if record["status"] == "NEW":
                self.notifier.notify(LeadSummary.from_record(record))
        return outcome

    def _store(self, record: dict[str, Any]) -> Outcome:
        lead_id = record["lead_id"]
        if self.journal.contains(lead_id):
            return Outcome(DUPLICATE, {"lead_id": lead_id, "status": "NEW", "duplicate": True})
        written_ahead = False
        try:
            with gevent.Timeout(self.timeout_s, StoreUnavailable(f"no answer in {self.timeout_s}s")):
                present, attributed, earlier_tap = self._check_and_attribute(record)
                fsyncs = self.writer.store.fsyncs_inserts()
            if lead_id in present:
                return Outcome(
                    DUPLICATE,
                    {"lead_id": lead_id, "status": public_status(present[lead_id]), "duplicate": True},
                )
            if earlier_tap:
                earlier_id, status = earlier_tap
                if record.get("ref"):  # this tap's code leads to the visit's lead, with its click
                    self.writer.store.insert_rows("lead_refs", [ref_row({**record, "lead_id": earlier_id})])
                return Outcome(
                    DUPLICATE, {"lead_id": earlier_id, "status": public_status(status), "duplicate": True}
                )
            record.update(attributed)
            if not fsyncs:
                written_ahead = self._write_ahead(record)
            with gevent.Timeout(self.timeout_s, StoreUnavailable(f"no answer in {self.timeout_s}s")):
                self.group_insert.insert(record)
        except (StoreUnavailable, ch_errors.Error) as exc:
            # whatever went wrong in ClickHouse, the lead is kept; the replayer retries it
            if not written_ahead:
                self.journal_commit.insert(record)
            log.warning("lead %s journaled, ClickHouse unavailable: %s", lead_id, exc)
            return Outcome(JOURNALED, {"lead_id": lead_id, "queued": True})
        return Outcome(STORED, {"lead_id": lead_id, "status": public_status(record["status"])})

    def _write_ahead(self, record: dict[str, Any]) -> bool:
        """A server without fsync_after_insert (18.16) may lose an acknowledged insert on power
        loss, so the lead is in the fsync'd journal before the insert; the replayer finds it
        stored and drops the record. A journal that cannot be written leaves the lead to the
        insert alone, as durable as ClickHouse makes it."""
        try:
            self.journal_commit.insert(record)
        except (OSError, LockTimeout) as exc:
            log.warning("lead %s: journal write-ahead failed, storing without it: %s", record["lead_id"], exc)
            return False
        return True

    def _store_missing(self, records: list[dict[str, Any]]) -> int:
        """Journal replay under the leads' locks, REPLAY_LOCK_CHUNK leads at a time: a write-ahead
        record whose request is still inserting waits for that request, so it is not stored twice."""
        unique = list({r["lead_id"]: r for r in records}.values())
        stored = 0
        for at in range(0, len(unique), REPLAY_LOCK_CHUNK):
            chunk = unique[at : at + REPLAY_LOCK_CHUNK]
            try:
                with contextlib.ExitStack() as locks:
                    for path in sorted({self._lock_path(r["lead_id"]) for r in chunk}):
                        locks.enter_context(held(path, wait_s=self.timeout_s * 3 + 5))
                    stored += self.writer.store_missing(chunk)
            except LockTimeout as exc:
                raise StoreUnavailable(f"a journaled lead stays locked: {exc}") from exc
        return stored

    def _check_and_attribute(
        self, record: dict[str, Any]
    ) -> tuple[dict[str, str], dict[str, Any], tuple[str, str] | None]:
        """The queries at once, on pooled connections: one round trip of latency instead of two or three."""
        jobs = [
            gevent.spawn(self.writer.statuses, [record["lead_id"]]),
            gevent.spawn(self.writer.attributed, record),
            gevent.spawn(tap_dedupe.lead_of_visit, self.writer.store, record),
        ]
        try:
            gevent.joinall(jobs, raise_error=True)
        finally:
            gevent.killall(jobs, block=False)
        return jobs[0].value, jobs[1].value, jobs[2].value

    def replay_once(self) -> int:
        with gevent.Timeout(max(self.timeout_s * 10, 10.0), StoreUnavailable("journal replay timed out")):
            stored = self.journal.replay(self._store_missing, check_record)
        metrics.JOURNAL_REPLAYED.inc(stored)
        return stored

    def replay_round(self) -> None:
        if self.journal.pending():
            self.replay_once()

    def stop_groups(self) -> None:
        self.group_insert.stop()
        self.journal_commit.stop()

    def jobs(self) -> list[Job]:
        """Background work of this worker: the journal replayer and the notification sweep."""
        replay = Job(
            "lead-journal-replay",
            self.replay_round,
            REPLAY_INTERVAL_S,
            backoff_max_s=MAX_REPLAY_BACKOFF_S,
            quiet=(StoreUnavailable,),
            on_stop=self.stop_groups,
            first_after_s=REPLAY_INTERVAL_S,
        )
        return [replay, self.notifier.job()]
