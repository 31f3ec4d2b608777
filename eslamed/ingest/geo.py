"""GeoIP lookups from a local MaxMind City database, memory-mapped, no network calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import maxminddb

from eslamed.core.input_cache import cache_short_inputs


@dataclass(frozen=True)
class Place:
    country: str = ""
    subdivision: str = ""
    city: str = ""


NOWHERE = Place()


class GeoLookup:
    def __init__(self, path: Path) -> None:
        self._reader = maxminddb.open_database(str(path), maxminddb.MODE_MMAP)
        self.lookup = cache_short_inputs(maxsize=65536, max_chars=64)(self._lookup)

    def _lookup(self, ip: str) -> Place:
        if not ip:
            return NOWHERE
        try:
            record = self._reader.get(ip)
        except ValueError:
            return NOWHERE
        if not isinstance(record, dict):
            return NOWHERE
        subdivisions = record.get("subdivisions") or [{}]
        return Place(
            country=(record.get("country") or {}).get("iso_code", ""),
            subdivision=(subdivisions[-1].get("names") or {}).get("en", ""),
            city=((record.get("city") or {}).get("names") or {}).get("en", ""),
        )

    def close(self) -> None:
        self._reader.close()
