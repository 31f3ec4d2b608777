"""Turns buffered event records into a columnar ClickHouse insert.

A record is one enriched event as a JSON array in `RECORD_FIELDS` order: the flusher parses a
whole batch with one orjson call and transposes it into columns with `zip`, with no per-event
Python in between. The flusher says whether a batch may already be stored, in which case ids
present in ClickHouse are skipped.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import orjson

from eslamed.core.sql import events as sql
from eslamed.core.store import Store

STRING_COLUMNS = (
    "type", "visitor_id", "session_id", "url", "path", "ref", "ref_host", "title", "source",
    "gclid", "gbraid", "wbraid", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "variant", "country", "subdivision", "city", "device", "browser", "os", "screen", "lang", "visit_key",
)  # fmt: skip
# DateTime columns get epoch seconds: clickhouse-driver sends ints as they are, while a datetime
# costs two conversions per value.
RECORD_FIELDS = ("event_id", "ts", "received_at", "props", *STRING_COLUMNS)
COLUMNS = ("event_id", "ts", "received_at", "props_keys", "props_values", *STRING_COLUMNS)
_record = itemgetter(*RECORD_FIELDS)


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(_record(event))


def decode(payloads: list[bytes]) -> list[list[Any]]:
    """Records written before a field was added (a ring or spill left by the previous release) get ""."""
    records = orjson.loads(b"[" + b",".join(payloads) + b"]")
    if any(len(record) != len(RECORD_FIELDS) for record in records):
        records = [record + [""] * (len(RECORD_FIELDS) - len(record)) for record in records]
    return records


def to_columns(records: list[list[Any]]) -> list[list[Any]]:
    """Values per column in `COLUMNS` order; the props map becomes the two parallel arrays."""
    event_ids, ts, received_at, props, *strings = (list(column) for column in zip(*records, strict=True))
    keys = [list(p) for p in props]
    values = [list(p.values()) for p in props]
    return [event_ids, ts, received_at, keys, values, *strings]


class EventSink:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, payloads: list[bytes], check_existing: bool) -> int:
        records = decode(payloads)
        if check_existing and records:
            existing = {
                str(r[0])
                for r in self.store.query(
                    sql.EXISTING_IDS.format(db=self.store.database), {"ids": tuple(r[0] for r in records)}
                )
            }
            records = [r for r in records if r[0] not in existing]
        if not records:
            return 0
        return self.store.insert_columns("events", COLUMNS, to_columns(records))
