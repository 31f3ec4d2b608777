"""Both ClickHouse engines side by side, for the parity suite (tests/test_sql_parity.py).

`Engine1816` is Debian's real server through clickhouse-driver, as the application talks to it. `CurrentEngine`
is chdb (the newest ClickHouse the package index serves) in-process; it takes text only, so a statement's
parameters are bound by clickhouse-driver's own `substitute_params` with the 18.16 connection's context:
the same text the driver would send. Results are compared as canonical values (a Decimal 6500.00 and
6500 are the same number; a DateTime is its text in UTC), never as the engines' text formats.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver.util.escape import escape_param

import eslamed.core.sql
from eslamed.core import schema, store

STATEMENT = re.compile(r"\s*(SELECT|INSERT|ALTER|CREATE|DESCRIBE|SHOW)\b")
MODULES = (
    *(
        importlib.import_module(f"eslamed.core.sql.{m.name}")
        for m in pkgutil.iter_modules(eslamed.core.sql.__path__)
    ),
    schema,
    store,
)


def application_statements() -> set[str]:
    """Every SQL constant the application has, named `module.CONSTANT`, found by listing the modules
    (every module of eslamed.core.sql, the schema and the store), never by hand."""
    found = set()
    for module in MODULES:
        short = module.__name__.removeprefix("eslamed.core.").removeprefix("sql.")
        for name, value in vars(module).items():
            if name.lstrip("_").isupper() and isinstance(value, str) and STATEMENT.match(value):
                found.add(f"{short}.{name}")
    return found


def canonical(value: Any) -> Any:
    """One form for a value whichever engine and client produced it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | Decimal):
        return format(Decimal(value).normalize(), "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return [canonical(v) for v in value.values()]
    return value


def top_level_order_by(statement: str) -> bool:
    """Whether the statement's outermost query sorts its rows: then the order is compared too."""
    depth, quoted = 0, False
    for i, char in enumerate(statement):
        if char == "'" and statement[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and statement.startswith("ORDER BY", i):
            return True
    return False


def comparable(rows: Sequence[Sequence[Any]], ordered: bool) -> list[Any]:
    out = [canonical(list(row)) for row in rows]
    return out if ordered else sorted(out, key=json.dumps)


class Engine1816:
    """Debian's clickhouse-server, through clickhouse-driver exactly as the application runs it."""

    name = "18.16"

    def __init__(self, client: Client) -> None:
        self.client = client

    def run(self, statement: str, params: dict[str, Any]) -> list[tuple]:
        return self.client.execute(statement, params)

    def bind(self, statement: str, params: dict[str, Any]) -> str:
        return self.client.substitute_params(statement, params, self.client.connection.context)

    def insert(self, statement: str, rows: list[list[Any]]) -> None:
        self.client.execute(statement, rows)


class CurrentEngine:
    """chdb in-process: the current ClickHouse, with text statements bound by the 18.16 driver."""

    def __init__(self, path: Path, binder: Engine1816, compatibility: str = "") -> None:
        """`compatibility`: run with the setting defaults of that older release (the pinned image's)."""
        from chdb import session

        self.session = session.Session(str(path))
        self.binder = binder
        if compatibility:
            self.session.query(f"SET compatibility = '{compatibility}'")
        self.name = "current " + self.text("SELECT version()")[0][0]
        self.name += f" (compatibility {compatibility})" if compatibility else ""
        for setting in (
            "output_format_json_quote_64bit_integers",
            "output_format_json_quote_decimals",
            "output_format_json_named_tuples_as_objects",
        ):
            self.session.query(f"SET {setting} = 0")

    def text(self, statement: str) -> list[list[Any]]:
        result = str(self.session.query(statement, "JSONCompact")).strip()
        return json.loads(result, parse_float=Decimal)["data"] if result else []

    def run(self, statement: str, params: dict[str, Any]) -> list[list[Any]]:
        return self.text(self.binder.bind(statement, params))

    def insert(self, statement: str, rows: list[list[Any]]) -> None:
        """The driver sends an INSERT's rows as native blocks; chdb takes them as the driver's own
        literals after the same statement. optimize_on_insert=0: a newer server would otherwise merge
        a replacing table's duplicate rows inside the copied block, which the source server keeps until
        its own merge (the rows must arrive as they are, duplicates included)."""
        context = self.binder.client.connection.context
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(escape_param(tuple(row), context) for row in chunk)
            self.session.query(
                f"{statement.replace(' VALUES', ' SETTINGS optimize_on_insert = 0 VALUES')} {values}"
            )

    def close(self) -> None:
        self.session.close()


def copy_table(
    source: Client, source_db: str, table: str, targets: Iterable[Engine1816 | CurrentEngine], target_db: str
) -> int:
    """A table's rows, read from the database the real server wrote, inserted into both engines with
    the backup's INSERT statement (the one a restore sends)."""
    from eslamed.core.sql import backup

    columns = [name for name, *_ in source.execute(backup.DESCRIBE.format(db=source_db, table=table))]
    listed = ", ".join(columns)
    rows = source.execute(backup.FULL_TABLE.format(columns=listed, db=source_db, table=table))
    statement = backup.INSERT.format(db=target_db, table=table, columns=listed)
    for engine in targets:
        if rows:
            engine.insert(statement, [list(r) for r in rows])
    return len(rows)
