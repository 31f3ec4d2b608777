"""Per-process state: the ClickHouse store, GeoIP reader, this worker's ring and its flusher.

Built once per gunicorn worker (after gevent has patched the process), so each worker
claims its own ring slot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from limits.strategies import FixedWindowRateLimiter

from eslamed.core.config import Settings
from eslamed.core.durable import keep_private
from eslamed.core.jobs import Supervisor
from eslamed.core.ratelimit import SharedFileStorage, storage_uri
from eslamed.core.store import Store
from eslamed.ingest.event_sink import EventSink
from eslamed.ingest.geo import GeoLookup
from eslamed.ingest.visit_key import Salts
from eslamed.leads.group_insert import GroupInsert
from eslamed.ring.buffer import BufferLayout, WorkerBuffer, claim
from eslamed.ring.flusher import Flusher

log = logging.getLogger(__name__)


def buffer_layout(settings: Settings) -> BufferLayout:
    return BufferLayout(
        ring_dir=settings.spool_dir / "ring",
        spill_dir=settings.spill_dir,
        ring_capacity=settings.ring_capacity_bytes,
        spill_segment_bytes=settings.spill_segment_bytes,
        spill_max_bytes=settings.spill_max_bytes,
    )


@dataclass
class Runtime:
    settings: Settings
    store: Store
    geo: GeoLookup
    limiter: FixedWindowRateLimiter
    layout: BufferLayout
    own_hosts: frozenset[str]
    salts: Salts
    buffer: WorkerBuffer | None = None
    flusher: Flusher | None = None
    ring_sync: GroupInsert | None = None
    supervisor: Supervisor = field(default_factory=Supervisor)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        keep_private(settings.data_dir, settings.spool_dir)
        storage = SharedFileStorage(storage_uri(settings.ratelimit_file))
        return cls(
            settings=settings,
            store=Store(settings.clickhouse, timeout_s=settings.clickhouse_timeout_s),
            geo=GeoLookup(settings.geoip_city_db),
            limiter=FixedWindowRateLimiter(storage),
            layout=buffer_layout(settings),
            own_hosts=frozenset(
                (urlsplit(o).hostname or "").removeprefix("www.") for o in settings.site_origins
            ),
            salts=Salts(settings.data_dir / "salts"),
        )

    def start_ingest(self) -> None:
        """Claim a ring slot and start its flusher; orphaned slots are drained on the first sweep."""
        self.buffer = claim(self.layout)
        self.flusher = Flusher(
            self.buffer,
            self.layout,
            EventSink(self.store),
            self.settings.flush_interval_s,
            self.settings.flush_batch_size,
        )
        self.supervisor.add(self.flusher.job())
        if self.settings.events_durability == "host":
            buffer = self.buffer
            self.ring_sync = GroupInsert(lambda _requests: buffer.sync())
        log.info("worker owns ring slot %d", self.buffer.index)

    def events_on_disk(self) -> None:
        """EVENTS_DURABILITY=host: returns once the events this request appended are on disk;
        requests that arrive while one msync runs share the next (group commit)."""
        if self.ring_sync is not None:
            self.ring_sync.insert({})

    def shutdown(self, deadline_s: float = 10.0) -> None:
        self.supervisor.stop(deadline_s / 2)
        if self.flusher is not None and not self.flusher.stop(deadline_s / 2):
            log.warning("ring slot %d still holds records; the next worker drains them", self.buffer.index)
        if self.ring_sync is not None:
            self.ring_sync.stop()
        if self.buffer is not None:
            self.buffer.close()
            self.buffer = None
        self.store.close()
