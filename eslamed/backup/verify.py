"""Content fingerprints of tables, to prove a restore gave back exactly what was backed up."""

from __future__ import annotations

from eslamed.backup.export import FULL_TABLES, table_columns
from eslamed.backup.rows import checksum_expression
from eslamed.core import schema
from eslamed.core.sql import backup as sql
from eslamed.core.store import Store

TABLES = (*FULL_TABLES, "events")


def table_checksums(store: Store) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per table; a replacing table is read FINAL so unmerged duplicates
    do not count."""
    out = {}
    for table in TABLES:
        args = checksum_expression(table_columns(store, table))
        final = "FINAL" if schema.replaces_rows(table) else ""
        query = sql.CONTENT_CHECKSUM.format(db=store.database, table=table, hash_args=args, final=final)
        rows, digest = store.query(query)[0]
        out[table] = (int(rows), int(digest))
    return out
