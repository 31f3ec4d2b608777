"""A journal record that parses but cannot be stored is quarantined, and the leads around it still reach
ClickHouse (issue 15 item 4). Real server, real ClickHouse stopped and started by the test."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import orjson
import pytest
import requests

from eslamed.core.store import StoreUnavailable
from eslamed.leads.journal import LeadJournal
from tests.conftest import migrated_store
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.polling import wait_for
from tests.support.server import METRICS_AUTH


def stored_ids(store) -> set[str] | None:
    try:
        return {str(r[0]) for r in store.query(f"SELECT lead_id FROM {store.database}.leads")}
    except StoreUnavailable:
        return None


def journal_a_bad_record_between_two_leads(own_clickhouse, make_server, tmp_path: Path, spoil) -> tuple:
    """ClickHouse down: a lead journaled, then `spoil(that record)` appended, then another lead journaled.
    Returns (store, server, journal dir, first lead, last lead, the bad record)."""
    store = migrated_store(own_clickhouse)
    server = make_server(own_clickhouse, store, **lead_env())
    journal_dir = tmp_path / "data" / "journal"
    own_clickhouse.stop()
    first, last = form_lead(), form_lead(phone="0532 123 45 68")
    assert post_lead(server.url, first).status_code == 202
    journaled = orjson.loads(next(journal_dir.glob("*.jsonl")).read_bytes().splitlines()[0])
    bad = spoil(journaled)
    LeadJournal(journal_dir).append(bad)
    assert post_lead(server.url, last).status_code == 202
    return store, server, journal_dir, first, last, bad


def test_a_bad_journal_record_is_quarantined_and_the_leads_after_it_are_stored(
    own_clickhouse, make_server, tmp_path: Path
) -> None:
    store, server, journal_dir, first, last, bad = journal_a_bad_record_between_two_leads(
        own_clickhouse,
        make_server,
        tmp_path,
        # parses, lacks a field: as an older or hand-edited record would
        lambda journaled: (
            {k: v for k, v in journaled.items() if k != "name"} | {"lead_id": str(uuid.uuid4())}
        ),
    )

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


def test_a_non_uuid_lead_id_between_two_good_leads_is_quarantined_and_both_are_stored(
    own_clickhouse, make_server, tmp_path: Path
) -> None:
    """Issue 27 D: such a record used to stop the replay for good (ClickHouse answers its lead_id with a
    parse error, which was taken for "retry later"); now it is checked before sending and quarantined."""
    store, server, journal_dir, first, last, _ = journal_a_bad_record_between_two_leads(
        own_clickhouse, make_server, tmp_path, lambda journaled: {**journaled, "lead_id": "not-a-uuid"}
    )
    own_clickhouse.start()
    assert wait_for(lambda: stored_ids(store) == {first["lead_id"], last["lead_id"]}, timeout_s=40)
    quarantined = (journal_dir / "quarantine.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["lead_id"] for line in quarantined] == ["not-a-uuid"]
    metrics = requests.get(f"{server.url}/metrics", headers=METRICS_AUTH, timeout=5).text
    assert re.search(r"^eslamed_lead_journal_quarantined_total 1\.0$", metrics, re.M), metrics
    assert "ALERT journal" in server.log() and "badly formed hexadecimal UUID string" in server.log()
    store.close()


def test_both_engines_answer_the_bad_record_with_a_data_error_that_quarantines(store, tmp_path: Path) -> None:
    """The replayer's first query for that record (which leads exist) with the non-UUID id: 18.16 and the
    current engine both refuse it with a code the journal treats as the record's fault, never "retry later"."""
    from clickhouse_driver.errors import ServerException

    from eslamed.core import schema
    from eslamed.core.sql import leads as sql
    from eslamed.leads.journal import DATA_ERROR_CODES, retry_later

    query = sql.EXISTING.format(db=store.database)
    try:
        store.query(query, {"ids": ("not-a-uuid",)})
    except ServerException as exc:
        old = exc
    else:
        raise AssertionError("18.16 accepted a non-UUID lead_id")
    assert old.code in DATA_ERROR_CODES and not retry_later(old), old
    assert retry_later(ServerException("Too many parts", code=252))

    chdb_session = pytest.importorskip("chdb.session")
    session = chdb_session.Session(str(tmp_path / "chdb"))
    try:
        for statement in schema.statements(store.database):
            session.query(statement)
        with store.connection() as client:
            bound = client.substitute_params(query, {"ids": ("not-a-uuid",)}, client.connection.context)
        with pytest.raises(Exception, match=r"Code: (\d+)") as refused:
            session.query(bound)
        code = int(re.search(r"Code: (\d+)", str(refused.value)).group(1))
        assert code in DATA_ERROR_CODES, str(refused.value)[:300]
    finally:
        session.close()
