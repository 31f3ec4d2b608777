"""A journal record that parses but cannot be stored is quarantined, and the leads around it still reach
ClickHouse (issue 15 item 4). Real server, real ClickHouse stopped and started by the test."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import orjson
import requests

from eslamed.leads.journal import LeadJournal
from eslamed.store import StoreUnavailable
from tests.conftest import migrated_store
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.polling import wait_for
from tests.support.server import METRICS_AUTH


def stored_ids(store) -> set[str] | None:
    try:
        return {str(r[0]) for r in store.query(f"SELECT lead_id FROM {store.database}.leads")}
    except StoreUnavailable:
        return None


def test_a_bad_journal_record_is_quarantined_and_the_leads_after_it_are_stored(
    own_clickhouse, make_server, tmp_path: Path
) -> None:
    store = migrated_store(own_clickhouse)
    server = make_server(own_clickhouse, store, **lead_env())
    journal_dir = tmp_path / "data" / "journal"
    own_clickhouse.stop()

    first, last = form_lead(), form_lead(phone="0532 123 45 68")
    assert post_lead(server.url, first).status_code == 202
    journaled = orjson.loads(next(journal_dir.glob("*.jsonl")).read_bytes().splitlines()[0])
    bad = {key: value for key, value in journaled.items() if key != "name"} | {"lead_id": str(uuid.uuid4())}
    LeadJournal(journal_dir).append(bad)  # parses, lacks a field: as an older or hand-edited record would
    assert post_lead(server.url, last).status_code == 202

    own_clickhouse.start()
    assert wait_for(lambda: stored_ids(store) == {first["lead_id"], last["lead_id"]}, timeout_s=40)
    assert wait_for(lambda: not [p for p in journal_dir.glob("*.jsonl") if p.name != "quarantine.jsonl"])
    assert [orjson.loads(line) for line in (journal_dir / "quarantine.jsonl").read_bytes().splitlines()] == [
        bad
    ]
    metrics = requests.get(f"{server.url}/metrics", headers=METRICS_AUTH, timeout=5).text
    assert re.search(r"^eslamed_lead_journal_quarantined_total 1\.0$", metrics, re.M), metrics
    assert "ALERT journal" in server.log() and "KeyError: 'name'" in server.log()
    time.sleep(2.5)  # later replay cycles neither store nor quarantine anything more
    assert stored_ids(store) == {first["lead_id"], last["lead_id"]}
    assert len((journal_dir / "quarantine.jsonl").read_bytes().splitlines()) == 1
    store.close()
