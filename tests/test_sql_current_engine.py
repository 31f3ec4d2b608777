"""The schema (written for Debian's 18.16 server) also runs on a current ClickHouse engine (chdb, 26.x)."""

import pytest

from eslamed.core import schema

chdb_session = pytest.importorskip("chdb.session")


def test_schema_and_versioned_reads_run_on_current_clickhouse() -> None:
    session = chdb_session.Session()
    for statement in schema.statements("eslamed"):
        session.query(statement)
    for statement in schema.statements("eslamed"):
        session.query(statement)
    tables = str(session.query("SHOW TABLES FROM eslamed", "CSV"))
    assert all(f'"{name}"' in tables for name in schema.TABLES)
    session.query(
        "INSERT INTO eslamed.leads (lead_id, version, created_at, status) VALUES "
        "('0f8fad5b-d9cb-469f-a165-70867728950e', 1, now(), 'NEW'), "
        "('0f8fad5b-d9cb-469f-a165-70867728950e', 2, now(), 'CONTACTED')"
    )
    latest = str(session.query("SELECT argMax(status, version) FROM eslamed.leads GROUP BY lead_id", "CSV"))
    assert latest.strip() == '"CONTACTED"'
    final = str(session.query("SELECT status FROM eslamed.leads FINAL", "CSV"))
    assert final.strip() == '"CONTACTED"'


def _literal(value: object) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _bind(query: str, params: dict[str, object]) -> str:
    """The driver's %(name)s substitution, for chdb (which takes no parameters)."""
    return query.format(db="eslamed") % {k: _literal(v) for k, v in params.items()}


def test_sessions_journey_and_history_queries_run_on_current_clickhouse() -> None:
    """The array-based session split and the consent claim (written for 18.16, which has no window
    functions) give the same answer on a current engine: one visit from a page view sent before
    consent, the consent event and the next page; its landing page is the pre-consent one."""
    from eslamed.core.sql import admin, leads

    session = chdb_session.Session()
    for statement in schema.statements("eslamed"):
        session.query(statement)
    session.query(
        "INSERT INTO eslamed.events (event_id, type, ts, visitor_id, path, url, source, props_keys, props_values)"
        " VALUES (generateUUIDv4(), 'pageview', '2026-11-01 07:00:00', '', '/fiyat', 'https://x/fiyat', 'paid',"
        " ['pv'], ['p1']),"
        " (generateUUIDv4(), 'consent', '2026-11-01 07:00:05', 'v1', '/fiyat', 'https://x/fiyat', 'paid',"
        " ['pv'], ['p1']),"
        " (generateUUIDv4(), 'pageview', '2026-11-01 07:01:00', 'v1', '/acil', 'https://x/acil', 'direct',"
        " ['pv'], ['p2']),"
        " (generateUUIDv4(), 'call_click', '2026-11-01 07:02:00', 'v1', '/acil', 'https://x/acil', 'direct',"
        " ['pv'], ['p2']),"
        " (generateUUIDv4(), 'pageview', '2026-11-01 09:00:00', 'v1', '/', 'https://x/', 'direct', ['pv'], ['p3']),"
        " (generateUUIDv4(), 'pageview', '2026-11-01 07:30:00', '', '/', 'https://x/', 'organic', ['pv'], ['p9'])"
    )
    bounds = {"since": "2026-10-31 21:00:00", "until": "2026-11-01 21:00:00"}
    session.query(_bind(admin.FILL_CACHE, {**bounds, "days": ("2026-11-01",), "version": 1}))
    cached = str(
        session.query(
            "SELECT dim, value, visits FROM eslamed.stats_sessions_daily ORDER BY dim, value", "CSV"
        )
    )
    assert '0,"",3' in cached and '6,"/fiyat",1' in cached and '6,"/acil"' not in cached
    assert '1,"paid",1' in cached and '1,"organic",1' in cached and '1,"direct",1' in cached
    visits = _bind(admin.STATS_VISITS, {**bounds, "first": "2026-11-01", "last_cached": "2026-10-31"})
    totals = str(
        session.query(visits.replace("GROUP BY dim, key", "GROUP BY dim, key HAVING dim = 0"), "CSV")
    )
    assert '0,"",3,1,2' in totals, totals
    journey = str(session.query(_bind(admin.JOURNEY, {"visitor_id": "v1", **bounds, "limit": 100}), "CSV"))
    assert journey.count("\n") == 5 and "/fiyat" in journey.split("\n")[0]
    history = str(
        session.query(_bind(leads.VISITOR_HISTORY, {"visitor_id": "v1", "since": bounds["since"]}), "CSV")
    )
    assert history.strip() == '"","","","paid","direct","https://x/"', history


def test_added_columns_apply_to_an_older_schema_on_current_clickhouse() -> None:
    """`migrate` on a database made before the conv-stages columns, on a current engine."""
    session = chdb_session.Session()
    for statement in schema.statements("older"):
        session.query(statement)
    for table, columns in schema.ADDED_COLUMNS.items():
        for column, _ in columns:
            session.query(f"ALTER TABLE older.{table} DROP COLUMN {column}")
    rows = str(session.query(schema.EXISTING_COLUMNS.replace("%(db)s", "'older'"), "CSV"))
    present = {tuple(part.strip('"') for part in line.split(",")) for line in rows.strip().splitlines()}
    statements = schema.add_column_statements("older", present)
    assert len(statements) == sum(len(c) for c in schema.ADDED_COLUMNS.values())
    for statement in statements:
        session.query(statement)
    rows = str(session.query(schema.EXISTING_COLUMNS.replace("%(db)s", "'older'"), "CSV"))
    present = {tuple(part.strip('"') for part in line.split(",")) for line in rows.strip().splitlines()}
    assert schema.add_column_statements("older", present) == []
