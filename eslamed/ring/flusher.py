"""Moves buffered records into ClickHouse, at least once, and never twice for a replayed batch.

A batch is marked in flight before the insert and committed only after ClickHouse
acknowledged it. If the previous attempt on a batch may have reached ClickHouse (the
owner died mid-insert, or the insert timed out), the sink is asked to check the records'
ids against ClickHouse and send only the missing ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
import gevent.event

from eslamed.core import metrics
from eslamed.core.jobs import Job
from eslamed.core.store import StoreUnavailable
from eslamed.ring.buffer import BufferLayout, WorkerBuffer, orphans

log = logging.getLogger(__name__)

# Sink(payloads, check_existing) inserts the records and returns how many it sent.
Sink = Callable[[list[bytes], bool], int]


def drain(
    buffer: WorkerBuffer,
    sink: Sink,
    batch_size: int,
    limit_batches: int | None = None,
    min_records: int = 1,
) -> int:
    """Send what is buffered (ring first, then spill, in order), stopping at a batch smaller
    than min_records. Raises StoreUnavailable."""
    sent = batches = 0
    slot, spill = buffer.slot, buffer.spill
    while limit_batches is None or batches < limit_batches:
        batch = slot.peek(batch_size)
        if len(batch.payloads) >= min_records:
            replay = slot.was_inflight(batch)
            slot.mark_inflight(batch)
            sent += _send(sink, batch.payloads, replay)
            slot.commit(batch)
        else:
            spilled = None if batch.payloads else spill.peek(batch_size)
            if spilled is None or len(spilled[1].payloads) < min_records:
                break
            segment, batch, replay = spilled
            spill.mark_inflight(segment, batch)
            sent += _send(sink, batch.payloads, replay)
            spill.commit(segment, batch)
        batches += 1
    return sent


def _send(sink: Sink, payloads: list[bytes], replay: bool) -> int:
    started = time.perf_counter()
    stored = sink(payloads, replay)
    metrics.FLUSH_SECONDS.observe(time.perf_counter() - started)
    metrics.EVENTS_FLUSHED.inc(stored)
    if replay:
        metrics.DUPLICATES_SKIPPED.inc(len(payloads) - stored)
    return stored


def drain_orphans(layout: BufferLayout, sink: Sink, batch_size: int) -> int:
    """Drain slots whose worker died; used by live workers and by the master in child_exit."""
    total = 0
    for buffer in orphans(layout):
        recovered = drain(buffer, sink, batch_size)
        metrics.SLOTS_RECOVERED.inc(recovered)
        total += recovered
        log.info("recovered %d records from orphaned slot %d", recovered, buffer.index)
    return total


class Flusher:
    """The worker's flush job: every interval, or sooner when a batch is full (eslamed.core.jobs)."""

    ORPHAN_SWEEP_S = 5.0
    MAX_BACKOFF_S = 5.0

    def __init__(
        self, buffer: WorkerBuffer, layout: BufferLayout, sink: Sink, interval_s: float, batch_size: int
    ) -> None:
        self.buffer = buffer
        self.layout = layout
        self.sink = sink
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.healthy = True
        self._wake = gevent.event.Event()
        self._appended = 0
        self._next_sweep = self._due = self._previous = 0.0

    def job(self) -> Job:
        return Job(
            "ring-flush",
            self.round,
            self.interval_s,
            backoff_max_s=self.MAX_BACKOFF_S,
            quiet=(StoreUnavailable,),
            wake=self._wake,
            on_failure=self._failed,
        )

    def notify_appended(self, records: int) -> None:
        self._appended += records
        if self._appended >= self.batch_size:
            self._wake.set()

    def round(self) -> float:
        """Woken by a full batch, only full batches go; everything goes before any record has
        waited the interval. Under load every insert is then a full batch: each insert is a new
        part for ClickHouse to write and merge, at a fixed cost of milliseconds of its CPU.

        The records left after a full-batches drain all arrived after the drain before it began
        (a wake needs a batch's worth of new records, and the oldest go first), so they are due
        one interval after that. Returns the seconds until the next round is due."""
        self._appended = 0
        started = time.monotonic()
        everything = started >= self._due
        previous, self._previous = self._previous, started
        drain(self.buffer, self.sink, self.batch_size, min_records=1 if everything else self.batch_size)
        if time.monotonic() >= self._next_sweep:
            drain_orphans(self.layout, self.sink, self.batch_size)
            self._next_sweep = time.monotonic() + self.ORPHAN_SWEEP_S
        self._set_health(True)
        self._due = (started if everything else previous) + self.interval_s
        self.report()
        return max(0.0, self._due - time.monotonic())

    def _failed(self) -> None:
        """A failed round: ClickHouse is marked down, and everything is due at the job's next round."""
        self._set_health(False)
        self._due = 0.0
        self.report()

    def _set_health(self, ok: bool) -> None:
        self.healthy = ok
        metrics.CLICKHOUSE_UP.set(1 if ok else 0)

    def report(self) -> None:
        metrics.RING_FILL.set(self.buffer.slot.fill_ratio())
        metrics.RING_BYTES.set(self.buffer.slot.used)
        metrics.SPILL_BYTES.set(self.buffer.spill.pending_bytes())

    def stop(self, deadline_s: float) -> bool:
        """Graceful shutdown, after the job has stopped: one last drain within the deadline.
        True when nothing is left."""
        try:
            with gevent.Timeout(deadline_s):
                drain(self.buffer, self.sink, self.batch_size)
        except (StoreUnavailable, gevent.Timeout) as exc:
            log.warning("shutdown left records buffered for the next worker: %s", exc)
        return not self.buffer.pending()
