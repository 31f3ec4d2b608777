"""Rows <-> JSON lines, driven by the ClickHouse column types stored in the manifest.

One JSON array per row keeps files readable with zcat/jq on any machine, independent of the
server version that wrote them; the decoder turns values back into what clickhouse-driver
inserts (UUID, datetime, Decimal ...).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

Decoder = Callable[[Any], Any]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_row(row: Sequence[Any]) -> bytes:
    return orjson.dumps(list(row), default=_default) + b"\n"


def _identity(value: Any) -> Any:
    return value


def decoder_for(ch_type: str) -> Decoder:
    if ch_type.startswith("Nullable(") and ch_type.endswith(")"):
        inner = decoder_for(ch_type[9:-1])
        return lambda v: None if v is None else inner(v)
    if ch_type.startswith("Array(") and ch_type.endswith(")"):
        inner = decoder_for(ch_type[6:-1])
        return lambda v: [inner(x) for x in v]
    if ch_type == "UUID":
        return uuid.UUID
    if ch_type.startswith("DateTime"):
        return datetime.fromisoformat
    if ch_type == "Date":
        return date.fromisoformat
    if ch_type.startswith("Decimal"):
        return Decimal
    return _identity


def row_decoder(types: Sequence[str]) -> Callable[[bytes], list[Any]]:
    decoders = [decoder_for(t) for t in types]

    def decode(line: bytes) -> list[Any]:
        values = orjson.loads(line)
        return [d(v) for d, v in zip(decoders, values, strict=True)]

    return decode


_DECIMAL = re.compile(r"Decimal\(\d+, *(\d+)\)")


def checksum_expression(columns: Sequence[tuple[str, str]]) -> str:
    """Arguments for cityHash64 over whole rows. 18.16 hashes a UUID only as text; a Decimal is hashed
    as a whole number of its smallest unit, since toString(Decimal) keeps trailing zeros on
    18.16 ('6500.00') and drops them on newer servers ('6500')."""
    args = []
    for name, ch_type in columns:
        decimal = _DECIMAL.fullmatch(ch_type)
        if decimal:
            args.append(f"toInt64({name} * {10 ** int(decimal.group(1))})")
        elif "UUID" in ch_type:
            args.append(f"toString({name})")
        else:
            args.append(name)
    return ", ".join(args)
