"""What is on disk before the client hears 201/202 (issue 15 item 11), against the real server.

A power cut cannot be staged here, so each test checks the state a power cut would find:
the fsync'd journal record of a lead while its insert is still running, and a ring slot
with no dirty page left once /api/track answered in EVENTS_DURABILITY=host.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eslamed.core.schema import MERGE_TREE_FSYNC
from eslamed.core.store import insert_settings_for
from tests.support.clients import dumps, new_event, post_raw
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.polling import wait_for
from tests.test_leads_server import count_leads


def test_inserts_never_send_fsync_as_a_query_setting() -> None:
    """fsync_after_insert is a MergeTree table setting; a query that sends it is refused (UNKNOWN_SETTING)."""
    assert insert_settings_for(frozenset({"async_insert"})) == {"async_insert": 0}
    assert insert_settings_for(frozenset()) == {}


def test_debian_clickhouse_has_no_fsync_after_insert_so_leads_are_written_ahead(store) -> None:
    """18.16 knows neither setting: the real `leads` table reads as not fsync'd, so the lead path
    writes ahead to its journal. (The current engine's side is in test_sql_parity.)"""
    assert store.query(MERGE_TREE_FSYNC) == []
    assert store.fsync_by_table()["leads"] is False
    assert store.fsyncs_inserts() is False


def journaled_bytes(journal: Path) -> bytes:
    data = b""
    for path in journal.glob("*.jsonl"):
        try:
            data += path.read_bytes()
        except FileNotFoundError:  # renamed by the replayer between glob and read
            continue
    return data


def test_lead_answered_201_was_in_the_fsynced_journal_before_its_insert_and_is_stored_once(
    clickhouse, store, make_server, tmp_path: Path
) -> None:
    server = make_server(clickhouse, store, **lead_env())
    journal = tmp_path / "data" / "journal"
    leads = [form_lead(phone=f"0532 123 45 7{i}") for i in range(6)]
    seen_before_reply: set[str] = set()
    with ThreadPoolExecutor(len(leads)) as pool:
        replies = [pool.submit(post_lead, server.url, lead) for lead in leads]
        while not all(r.done() for r in replies):
            data = journaled_bytes(journal)
            for lead, reply in zip(leads, replies, strict=True):
                if not reply.done() and lead["lead_id"].encode() in data:
                    seen_before_reply.add(lead["lead_id"])
            time.sleep(0.001)
    assert [r.result().status_code for r in replies] == [201] * len(leads)
    assert seen_before_reply == {lead["lead_id"] for lead in leads}, "each lead was on disk before its 201"
    assert wait_for(lambda: not list(journal.glob("*.jsonl")), timeout_s=20), (
        "the replayer drops stored records"
    )
    time.sleep(1.5)  # another replay cycle must not add rows
    assert count_leads(store) == (len(leads), len(leads))


def ring_dirty_kib(pid: int, ring_dir: Path) -> int | None:
    """Dirty pages of the worker's ring mapping (msync cleans them), or None if it maps no slot."""
    total, inside, found = 0, False, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:
            inside = fields[-1].startswith(str(ring_dir)) and fields[-1].endswith(".ring")
            found = found or inside
        elif inside and fields[0] in ("Shared_Dirty:", "Private_Dirty:"):
            total += int(fields[1])
    return total if found else None


def test_host_durability_leaves_no_dirty_ring_page_when_track_answers_202(
    clickhouse, store, make_server, tmp_path: Path
) -> None:
    # the flusher waits a minute, so nothing but the request itself touches the ring meanwhile
    server = make_server(clickhouse, store, workers=1, EVENTS_DURABILITY="host", FLUSH_INTERVAL_S="60")
    ring_dir = tmp_path / "spool" / "ring"
    (worker,) = server.worker_pids()
    for _ in range(3):
        status, _, _ = post_raw(server.url, "/api/track", dumps({"events": [new_event() for _ in range(20)]}))
        assert status == 202
        assert ring_dirty_kib(worker, ring_dir) == 0
