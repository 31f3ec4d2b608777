"""The schema (written for Debian's 18.16 server) also runs on a current ClickHouse engine (chdb, 26.x)."""

import pytest

from eslamed import schema

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
