"""The ring slot, its disk spill and the drain logic, on real files."""

import time
from pathlib import Path

import gevent
import pytest

from eslamed.core.jobs import Supervisor
from eslamed.core.store import StoreUnavailable
from eslamed.ring import slot as slot_module
from eslamed.ring import spill as spill_module
from eslamed.ring.buffer import BufferLayout, claim, orphans
from eslamed.ring.flusher import Flusher, drain
from eslamed.ring.slot import RingCorrupt, RingSlot


def layout(tmp_path: Path, capacity: int = 4096, max_spill: int = 1 << 20) -> BufferLayout:
    return BufferLayout(tmp_path / "ring", tmp_path / "spill", capacity, 512, max_spill)


class Collector:
    """The sink interface the flusher calls; records what it was given."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.replays: list[bool] = []
        self.fail = False

    def __call__(self, payloads: list[bytes], check_existing: bool) -> int:
        if self.fail:
            raise StoreUnavailable("down")
        self.replays.append(check_existing)
        self.received.extend(payloads)
        return len(payloads)


def test_records_wrap_around_the_end_and_come_back_intact(tmp_path: Path) -> None:
    slot = RingSlot(tmp_path / "s.ring", capacity=100)
    for round_ in range(20):
        payload = f"record-{round_:03d}-".encode() * 3
        assert slot.append([payload])
        batch = slot.peek(10)
        assert batch.payloads == [payload]
        slot.commit(batch)
    assert slot.used == 0
    assert slot.write_offset > slot.capacity


def test_peek_copes_with_records_larger_than_its_read_chunk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(slot_module, "PEEK_CHUNK", 16)
    slot = RingSlot(tmp_path / "s.ring", capacity=300)
    for round_ in range(6):
        payloads = [bytes([65 + i]) * (3 + (7 * i + round_) % 40) for i in range(5)]
        assert slot.append(payloads)
        assert slot.peek(2).payloads == payloads[:2]
        batch = slot.peek(100)
        assert batch.payloads == payloads
        slot.commit(batch)
    assert slot.write_offset > slot.capacity


def test_full_ring_refuses_and_survives_reopen(tmp_path: Path) -> None:
    slot = RingSlot(tmp_path / "s.ring", capacity=64)
    assert slot.append([b"a" * 40])
    assert not slot.append([b"b" * 40])
    slot.close()
    again = RingSlot(tmp_path / "s.ring", capacity=999)
    assert again.capacity == 64
    assert again.peek(10).payloads == [b"a" * 40]


def test_corrupted_record_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "s.ring"
    slot = RingSlot(path, capacity=64)
    slot.append([b"hello world"])
    slot.close()
    data = bytearray(path.read_bytes())
    data[64 + 8] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RingCorrupt):
        RingSlot(path, capacity=64).peek(10)


def test_second_claim_gets_another_slot_and_dead_owner_slot_is_an_orphan(tmp_path: Path) -> None:
    lay = layout(tmp_path)
    first = claim(lay)
    second = claim(lay)
    assert (first.index, second.index) == (0, 1)
    first.append([b"left behind"])
    assert [b.index for b in orphans(lay)] == []
    first.close()
    found = list(orphans(lay))
    assert [b.index for b in found] == [0]
    second.close()


def test_overflow_spills_to_disk_and_drains_in_order(tmp_path: Path) -> None:
    buffer = claim(layout(tmp_path, capacity=256))
    places = [buffer.append([f"event-{i:04d}".encode() * 4]) for i in range(40)]
    assert places[0] == "ring" and "spill" in places
    assert places[places.index("spill") :] == ["spill"] * (40 - places.index("spill"))
    assert len(list((tmp_path / "spill" / "slot-0").glob("seg-*.log"))) > 1
    sink = Collector()
    assert drain(buffer, sink, batch_size=7) == 40
    assert sink.received == [f"event-{i:04d}".encode() * 4 for i in range(40)]
    assert not buffer.pending()
    assert buffer.append([b"back to ring"]) == "ring"


def test_spill_reads_segments_in_chunks_smaller_than_a_record(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(spill_module, "PEEK_CHUNK", 16)
    buffer = claim(layout(tmp_path, capacity=64))
    records = [bytes([65 + i % 26]) * (5 + (11 * i) % 60) for i in range(30)]
    for i in range(0, 30, 3):
        assert buffer.append(records[i : i + 3]) in ("ring", "spill")
    sink = Collector()
    assert drain(buffer, sink, batch_size=4) == 30
    assert sink.received == records
    assert not buffer.pending()


def test_a_request_s_records_go_in_together_or_not_at_all(tmp_path: Path) -> None:
    buffer = claim(layout(tmp_path, capacity=100, max_spill=150))
    assert buffer.append([b"a" * 30, b"b" * 30]) == "ring"
    assert buffer.append([b"c" * 30, b"d" * 30]) == "spill"
    assert buffer.append([b"e" * 30, b"f" * 30]) is None
    sink = Collector()
    assert drain(buffer, sink, batch_size=10) == 4
    assert sink.received == [b"a" * 30, b"b" * 30, b"c" * 30, b"d" * 30]


def test_a_drain_for_full_batches_leaves_the_tail_for_the_timed_flush(tmp_path: Path) -> None:
    buffer = claim(layout(tmp_path))
    buffer.append([f"r{i:02d}".encode() for i in range(25)])
    sink = Collector()
    assert drain(buffer, sink, batch_size=10, min_records=10) == 20
    assert drain(buffer, sink, batch_size=10, min_records=10) == 0
    assert drain(buffer, sink, batch_size=10) == 5
    assert sink.received == [f"r{i:02d}".encode() for i in range(25)]


class TimedCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[float, int]] = []

    def __call__(self, payloads: list[bytes], check_existing: bool) -> int:
        self.sent.append((time.monotonic(), len(payloads)))
        return len(payloads)

    def wait_for(self, total: int) -> list[int]:
        deadline = time.monotonic() + 5
        while sum(n for _, n in self.sent) < total and time.monotonic() < deadline:
            gevent.sleep(0.02)
        return [n for _, n in self.sent]


def test_flusher_sends_full_batches_at_once_and_the_tail_when_the_interval_is_up(tmp_path: Path) -> None:
    lay = layout(tmp_path, capacity=1 << 16)
    buffer = claim(lay)
    sink = TimedCollector()
    sent = sink.sent
    flusher = Flusher(buffer, lay, sink, interval_s=1.0, batch_size=10)
    jobs = Supervisor()
    jobs.add(flusher.job())
    jobs.start()
    gevent.sleep(0.05)
    appended = time.monotonic()
    buffer.append([f"r{i:02d}".encode() for i in range(25)])
    flusher.notify_appended(25)
    assert sink.wait_for(25) == [10, 10, 5]
    assert sent[1][0] - appended < 0.5, "full batches go as soon as the size trigger fires"
    assert sent[2][0] - appended > 0.5, "the tail waits for the interval"
    jobs.stop()
    assert flusher.stop(deadline_s=1)
    buffer.close()


def test_under_steady_load_every_insert_is_a_full_batch(tmp_path: Path) -> None:
    lay = layout(tmp_path, capacity=1 << 16)
    buffer = claim(lay)
    sink = TimedCollector()
    flusher = Flusher(buffer, lay, sink, interval_s=1.0, batch_size=10)
    jobs = Supervisor()
    jobs.add(flusher.job())
    jobs.start()
    gevent.sleep(0.05)
    for step in range(15):
        buffer.append([f"s{step:02d}-{i}".encode() for i in range(7)])
        flusher.notify_appended(7)
        gevent.sleep(0.1)
    assert sink.wait_for(105) == [10] * 10 + [5], "the tail rides along with the next full batch"
    jobs.stop()
    assert flusher.stop(deadline_s=1)
    buffer.close()


def test_spill_at_its_limit_refuses(tmp_path: Path) -> None:
    buffer = claim(layout(tmp_path, capacity=64, max_spill=100))
    results = [buffer.append([b"x" * 40]) for _ in range(5)]
    assert results[-1] is None


def test_failed_insert_keeps_the_batch_and_marks_the_retry_as_replay(tmp_path: Path) -> None:
    buffer = claim(layout(tmp_path))
    buffer.append([b"one"])
    sink = Collector()
    sink.fail = True
    with pytest.raises(StoreUnavailable):
        drain(buffer, sink, batch_size=10)
    assert buffer.slot.inflight != (0, 0)
    sink.fail = False
    assert drain(buffer, sink, batch_size=10) == 1
    assert sink.replays == [True]
    assert buffer.slot.inflight == (0, 0) and not buffer.pending()


def test_slots_created_concurrently_by_many_processes_are_never_seen_half_made(tmp_path: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(8) as pool:
        results = pool.map(_open_slot_in_child, [tmp_path] * 64)
    assert results == [4096] * 64
    assert [p.name for p in (tmp_path).iterdir()] == ["s.ring"]


def _open_slot_in_child(tmp_path: Path) -> int:
    return RingSlot(tmp_path / "s.ring", capacity=4096).capacity


def test_spill_keeps_its_pending_byte_count_in_step_with_the_disk(tmp_path: Path) -> None:
    lay = layout(tmp_path, capacity=64)
    buffer = claim(lay)
    for i in range(30):
        buffer.append([f"record-{i:03d}".encode() * 3])
    sink = Collector()
    drain(buffer, sink, batch_size=4, limit_batches=3)
    counted = buffer.spill.pending_bytes()
    assert counted > 0
    assert counted == lay.spill_for(0).pending_bytes(), "a fresh reader of the same files agrees"
    drain(buffer, sink, batch_size=100)
    assert buffer.spill.pending_bytes() == 0 == lay.spill_for(0).pending_bytes()
