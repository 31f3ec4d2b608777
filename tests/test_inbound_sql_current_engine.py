"""The inbound queries (run on 18.16 by the webhook tests) also run on a current ClickHouse engine (chdb)."""

from __future__ import annotations

import pytest

from eslamed.core import schema
from eslamed.core.sql import inbound as sql

chdb_session = pytest.importorskip("chdb.session")

LEAD = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _literal(query: str, **params: str) -> str:
    return query.format(db="eslamed") % {k: f"'{v}'" for k, v in params.items()}


def test_inbound_queries_answer_on_current_clickhouse() -> None:
    session = chdb_session.Session()
    for statement in schema.statements("eslamed"):
        session.query(statement)
    session.query(
        "INSERT INTO eslamed.leads (lead_id, version, created_at, status, source, phone) VALUES "
        f"('{LEAD}', 1, '2026-12-02 11:00:00', 'NEW', 'call', ''), "
        f"('{LEAD}', 2, '2026-12-02 11:00:00', 'NEW', 'call', '+905321234567')"
    )
    session.query(
        f"INSERT INTO eslamed.lead_refs VALUES ('K7Q2M', '{LEAD}', '2026-12-02 11:00:00', 'g', 'u')"
    )

    def one(query: str, **params: str) -> str:
        return str(session.query(_literal(query, **params), "CSV")).strip()

    assert one(sql.REF_LEAD, ref="K7Q2M", since="2026-11-01 00:00:00") == f'"{LEAD}"'
    assert one(sql.LEAD_BY_PHONE, phone="+905321234567") == f'"{LEAD}"'
    assert one(sql.CALL_TAPS, since="2026-12-02 10:58:00", until="2026-12-02 11:06:00") == ""
    assert one(sql.SEEN, channel="whatsapp", key="wamid.X") == "0"
