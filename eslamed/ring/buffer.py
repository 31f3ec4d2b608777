"""A worker's buffer: the ring slot it claimed plus that slot's disk spill.

Slots are files `slot-N.ring` in the spool directory; a worker takes the first one whose
`flock` it can get, so a replacement worker inherits (and drains) the slot of the worker
it replaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import gevent

from eslamed.ring.slot import RingSlot
from eslamed.ring.spill import Spill

MAX_SLOTS = 256


@dataclass(frozen=True)
class BufferLayout:
    ring_dir: Path
    spill_dir: Path
    ring_capacity: int
    spill_segment_bytes: int
    spill_max_bytes: int

    def slot_path(self, index: int) -> Path:
        return self.ring_dir / f"slot-{index}.ring"

    def spill_for(self, index: int) -> Spill:
        return Spill(self.spill_dir / f"slot-{index}", self.spill_segment_bytes, self.spill_max_bytes)


class WorkerBuffer:
    def __init__(self, index: int, slot: RingSlot, spill: Spill) -> None:
        self.index = index
        self.slot = slot
        self.spill = spill

    def append(self, payloads: Sequence[bytes]) -> str | None:
        """Where the records went, together ("ring" or "spill"), or None when neither can take them."""
        if not self.spill.active and self.slot.append(payloads):
            return "ring"
        if self.spill.append(payloads):
            return "spill"
        return None

    def sync(self) -> None:
        """Everything appended so far is on disk. The msync runs in gevent's thread pool, so other
        requests keep appending meanwhile (they share the next sync); a spill fsync is rare."""
        gevent.get_hub().threadpool.apply(self.slot.sync)
        if self.spill.active:
            self.spill.sync()

    def pending(self) -> bool:
        return self.slot.used > 0 or self.spill.active

    def close(self) -> None:
        self.spill.close()
        self.slot.unlock()
        self.slot.close()


def _open_slot(layout: BufferLayout, index: int) -> RingSlot:
    return RingSlot(layout.slot_path(index), layout.ring_capacity)


def claim(layout: BufferLayout) -> WorkerBuffer:
    """Lock the first free slot, creating one if every existing slot is owned."""
    layout.ring_dir.mkdir(parents=True, exist_ok=True)
    for index in range(MAX_SLOTS):
        slot = _open_slot(layout, index)
        if slot.try_lock():
            return WorkerBuffer(index, slot, layout.spill_for(index))
        slot.close()
    raise RuntimeError(f"all {MAX_SLOTS} ring slots in {layout.ring_dir} are locked")


def orphans(layout: BufferLayout) -> Iterator[WorkerBuffer]:
    """Slots with data whose owner is gone; each is yielded locked and must be closed."""
    for path in sorted(layout.ring_dir.glob("slot-*.ring")):
        index = int(path.stem.split("-")[1])
        slot = _open_slot(layout, index)
        if not slot.try_lock():
            slot.close()
            continue
        buffer = WorkerBuffer(index, slot, layout.spill_for(index))
        if buffer.pending():
            yield buffer
        buffer.close()
