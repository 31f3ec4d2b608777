"""What the promise of issue 15 item 11 costs: the lead write-ahead fsync and the ring msync.

In one process, against its own ClickHouse (temp dir), with the journal and the ring on the
disk that holds the temp dir, the two modes alternating so both see the same machine load:

- lead: the request's ClickHouse work (existence check + insert) alone, and with the
  fsync'd journal record written first (what a server without fsync_after_insert does);
- events: one /api/track request's ring append (20 events) alone (EVENTS_DURABILITY=process),
  and followed by its msync (host), one writer; then host with 32 concurrent requests sharing
  each msync (group commit), in requests per second against process mode.

Medians go to stdout and loadtest/results/durability.json. About 30 s:

    PYTHONPATH=$PWD .venv/bin/python loadtest/bench_durability.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import gevent

from eslamed.devtools.clickhouse_server import LocalClickHouse
from eslamed.leads.group_insert import GroupInsert
from eslamed.leads.journal import LeadJournal
from eslamed.leads.writer import LeadWriter, new_version
from eslamed.ring.slot import RingSlot
from tests.conftest import migrated_store
from tests.support.leads import form_lead

RESULTS = Path(__file__).resolve().parent / "results"
EVENT = b'{"event_id":"0f8f7a52-5f4e-4c1e-9d55-0a5b3c2d1e0f","type":"pageview","url":"/hizmetler"}' * 3
REQUEST = [EVENT] * 20
RING_BYTES = 64 * 1024 * 1024


def lead_record() -> dict:
    lead = form_lead()
    lead.pop("website", None)
    lead.pop("fill_ms", None)
    now = time.time()
    record = {
        **{name: "" for name in ("variant", "gclid", "gbraid", "wbraid", "click_id_origin", "spam_reason")},
        **{name: "" for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")},
        **{name: "" for name in ("landing_page", "first_source", "last_source", "country", "subdivision")},
        **{name: "" for name in ("city", "device", "browser", "os", "note", "visitor_id")},
        **lead,
        "status": "NEW",
        "created_at": now,
        "version": new_version(),
        "attributed": True,
    }
    return record


def ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


def bench_leads(work: Path, pairs: int) -> dict:
    clickhouse = LocalClickHouse(work / "clickhouse")
    clickhouse.start()
    try:
        store = migrated_store(clickhouse)
        writer = LeadWriter(store, frozenset())
        journal = LeadJournal(work / "journal")
        baseline, ahead = [], []
        for i in range(pairs):
            for mode in ("baseline", "ahead") if i % 2 else ("ahead", "baseline"):
                record = lead_record()
                started = time.perf_counter()
                writer.statuses([record["lead_id"]])
                if mode == "ahead":
                    journal.append(record)
                writer.insert([record])
                (ahead if mode == "ahead" else baseline).append(time.perf_counter() - started)
        store.close()
    finally:
        clickhouse.stop()
    return {
        "pairs": pairs,
        "baseline_p50_ms": ms(baseline),
        "write_ahead_p50_ms": ms(ahead),
        "ratio": round(statistics.median(ahead) / statistics.median(baseline), 2),
    }


def free(slot: RingSlot) -> None:
    batch = slot.peek(1 << 30)
    slot.commit(batch)


def bench_ring(work: Path, rounds: int, concurrency: int) -> dict:
    slot = RingSlot(work / "slot-0.ring", RING_BYTES)
    process, host = [], []
    for i in range(rounds):
        for mode in ("process", "host") if i % 2 else ("host", "process"):
            started = time.perf_counter()
            slot.append(REQUEST)
            if mode == "host":
                gevent.get_hub().threadpool.apply(slot.sync)
            (host if mode == "host" else process).append(time.perf_counter() - started)
            if slot.fill_ratio() > 0.5:
                free(slot)
    grouped = GroupInsert(lambda _requests: gevent.get_hub().threadpool.apply(slot.sync))
    rates = {"process": [], "host_grouped": []}
    for i in range(6):
        for mode in ("process", "host_grouped") if i % 2 else ("host_grouped", "process"):
            free(slot)
            deadline = time.perf_counter() + 0.5
            done = [0]

            def client(mode: str = mode, deadline: float = deadline, done: list = done) -> None:
                while time.perf_counter() < deadline:
                    slot.append(REQUEST)
                    if mode == "host_grouped":
                        grouped.insert({})
                    else:
                        gevent.sleep(0)
                    done[0] += 1
                    if slot.fill_ratio() > 0.5:
                        free(slot)

            started = time.perf_counter()
            gevent.joinall([gevent.spawn(client) for _ in range(concurrency)])
            rates[mode].append(done[0] / (time.perf_counter() - started))
    grouped.stop()
    slot.close()
    return {
        "events_per_request": len(REQUEST),
        "rounds": rounds,
        "process_p50_ms": ms(process),
        "host_p50_ms": ms(host),
        "ratio": round(statistics.median(host) / statistics.median(process), 1),
        "concurrency": concurrency,
        "process_requests_per_s": round(statistics.median(rates["process"])),
        "host_grouped_requests_per_s": round(statistics.median(rates["host_grouped"])),
        "grouped_share_of_process": round(
            statistics.median(rates["host_grouped"]) / statistics.median(rates["process"]), 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lead-pairs", type=int, default=150)
    parser.add_argument("--ring-rounds", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-durability-", dir="/var/tmp"))
    started = time.monotonic()
    result = {
        "work_dir": str(work),
        "leads": bench_leads(work, args.lead_pairs),
        "ring": bench_ring(work, args.ring_rounds, args.concurrency),
    }
    result["seconds"] = round(time.monotonic() - started, 1)
    shutil.rmtree(work, ignore_errors=True)
    lead, ring = result["leads"], result["ring"]
    print(
        f"lead ClickHouse work p50: {lead['baseline_p50_ms']} ms; with write-ahead fsync "
        f"{lead['write_ahead_p50_ms']} ms (x{lead['ratio']})"
    )
    print(
        f"ring append of {ring['events_per_request']} events p50: {ring['process_p50_ms']} ms (process); "
        f"{ring['host_p50_ms']} ms with msync (host, x{ring['ratio']})"
    )
    print(
        f"{ring['concurrency']} concurrent requests: process {ring['process_requests_per_s']}/s, host "
        f"with group msync {ring['host_grouped_requests_per_s']}/s ({ring['grouped_share_of_process']:.1%})"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "durability.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
