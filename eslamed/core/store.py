"""ClickHouse access over the native protocol.

One `Store` per process. clickhouse-driver clients are not safe to share between
greenlets, so connections come from a small pool; a broken connection is dropped, never
returned. Every call has a short timeout so the request path never hangs on the database.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator, Sequence
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver import errors as ch_errors

from eslamed.core import schema
from eslamed.core.config import ClickHouseTarget

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    ch_errors.NetworkError,
    ch_errors.SocketTimeoutError,
    ch_errors.UnexpectedPacketFromServerError,
    EOFError,
    OSError,
    TimeoutError,
)


KNOWN_SETTINGS_SQL = "SELECT name FROM system.settings WHERE name IN ('async_insert')"


def insert_settings_for(known: frozenset[str]) -> dict[str, int]:
    """async_insert=0 because we batch ourselves: newer servers would otherwise buffer again; 18.16
    rejects the unknown setting. Durability is not a query setting: see schema.DURABLE_TABLES."""
    return {"async_insert": 0} if "async_insert" in known else {}


class StoreUnavailable(Exception):
    """ClickHouse did not answer in time; callers buffer and retry instead of failing the client."""


class Store:
    def __init__(self, target: ClickHouseTarget, timeout_s: float = 2.0, pool_size: int = 8) -> None:
        self.target = target
        self.database = target.database
        self.timeout_s = timeout_s
        self._pool: queue.LifoQueue[Client] = queue.LifoQueue(maxsize=pool_size)
        self._known_settings: frozenset[str] | None = None
        self._fsyncs: bool | None = None

    def _new_client(self, database: str | None) -> Client:
        return Client(
            host=self.target.host,
            port=self.target.port,
            user=self.target.user,
            password=self.target.password,
            database=database or "default",
            connect_timeout=self.timeout_s,
            send_receive_timeout=max(self.timeout_s, 5.0),
            sync_request_timeout=self.timeout_s,
            compression="lz4",
        )

    @contextlib.contextmanager
    def connection(self) -> Iterator[Client]:
        try:
            client = self._pool.get_nowait()
        except queue.Empty:
            client = self._new_client(self.database)
        try:
            yield client
        except UNAVAILABLE_ERRORS as exc:
            client.disconnect()
            raise StoreUnavailable(f"ClickHouse unavailable: {exc.__class__.__name__}: {exc}") from exc
        except BaseException:
            client.disconnect()
            raise
        else:
            try:
                self._pool.put_nowait(client)
            except queue.Full:
                client.disconnect()

    def known_settings(self) -> frozenset[str]:
        if self._known_settings is None:
            self._known_settings = frozenset(row[0] for row in self.query(KNOWN_SETTINGS_SQL))
        return self._known_settings

    def fsync_by_table(self) -> dict[str, bool]:
        """Per durable table, whether the running server fsyncs an insert before acknowledging it, read
        from the server's MergeTree defaults and the table's own settings (a cluster: its _local table)."""
        server = dict(self.query(schema.MERGE_TREE_FSYNC))
        engines = dict(self.query(schema.TABLE_ENGINES, {"db": self.database}))
        return {
            table: schema.fsyncs(
                engines.get(f"{table}_local", engines.get(table, "")), server.get("fsync_after_insert")
            )
            for table in schema.DURABLE_TABLES
        }

    def fsyncs_inserts(self) -> bool:
        """Whether an insert into every durable table is on disk when ClickHouse acknowledges it
        (read once per process; `migrate` is what changes it)."""
        if self._fsyncs is None:
            self._fsyncs = all(self.fsync_by_table().values())
        return self._fsyncs

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        with self.connection() as client:
            return client.execute(sql, params or {})

    def query_dicts(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.connection() as client:
            rows, columns = client.execute(sql, params or {}, with_column_types=True)
        names = [c[0] for c in columns]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def insert_rows(self, table: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert dict rows; the column list is taken from the first row."""
        if not rows:
            return 0
        columns = list(rows[0])
        return self.insert_columns(table, columns, [[row[c] for row in rows] for c in columns])

    def insert_columns(self, table: str, names: Sequence[str], columns: list[list[Any]]) -> int:
        """Columnar insert: one list of values per named column, all of the same length."""
        if not columns or not columns[0]:
            return 0
        sql = f"INSERT INTO {self.database}.{table} ({', '.join(names)}) VALUES"
        settings = insert_settings_for(self.known_settings())
        with self.connection() as client:
            client.execute(sql, columns, columnar=True, settings=settings)
        return len(columns[0])

    def ping(self) -> bool:
        try:
            self.query("SELECT 1")
        except (StoreUnavailable, ch_errors.Error):
            return False
        return True

    def migrate(self, cluster: str | None = None) -> list[str]:
        """Apply the schema (replicated + Distributed ON CLUSTER when a cluster is named); idempotent.
        Returns the statements run, for the CLI to report."""
        applied = []
        client = self._new_client(None)
        try:
            fsync = "fsync_after_insert" in dict(client.execute(schema.MERGE_TREE_FSYNC))
            ddl = (
                schema.cluster_statements(self.database, cluster, fsync)
                if cluster
                else schema.statements(self.database, fsync)
            )
            for statement in ddl:
                client.execute(statement)
                applied.append(statement.split("(")[0].strip())
            present = set(client.execute(schema.EXISTING_COLUMNS, {"db": self.database}))
            engines = dict(client.execute(schema.TABLE_ENGINES, {"db": self.database}))
            more = schema.add_column_statements(self.database, present, cluster)
            if fsync:
                more += schema.fsync_statements(self.database, engines, cluster)
            for statement in more:
                client.execute(statement)
                applied.append(statement)
        except UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailable(f"ClickHouse unavailable: {exc}") from exc
        finally:
            client.disconnect()
        self._fsyncs = None
        return applied

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().disconnect()
            except queue.Empty:
                return
