"""GeoIP lookups from a local MaxMind City database, memory-mapped, no network calls."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import maxminddb


@dataclass(frozen=True)
class Place:
    country: str = ""
    subdivision: str = ""
    city: str = ""


NOWHERE = Place()


class GeoLookup:
    def __init__(self, path: Path) -> None:
        self._reader = maxminddb.open_database(str(path), maxminddb.MODE_MMAP)
        self.lookup = lru_cache(maxsize=65536)(self._lookup)

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
