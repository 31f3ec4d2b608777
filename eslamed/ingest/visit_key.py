"""A cookieless visit key, as Plausible counts visitors: a keyed hash of a secret salt of the day, the site,
the client address (an IPv6 client by its /64) and the User-Agent.

Nothing is written to the visitor's device. The same browser on the same network is the same key all day,
so a visitor who never answers the cookie banner is one visit, not one per page; the next day's salt makes
them a stranger again. The salt is random, one per Istanbul day, kept in DATA_DIR/salts (0600) so every
worker reads the same one and a restart does not lose it; yesterday's is kept only while a visit that
crossed midnight may still send events (SESSION_GAP after midnight), then deleted, after which no key of
that day can be recomputed or reversed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from eslamed.ratelimit import rate_key
from eslamed.sql.events import SESSION_GAP_S

ISTANBUL = ZoneInfo("Europe/Istanbul")
SALT_BYTES = 32
KEEP_YESTERDAY = timedelta(seconds=SESSION_GAP_S)


def istanbul_day(epoch_s: float) -> date:
    return datetime.fromtimestamp(epoch_s, ISTANBUL).date()


class Salts:
    """The salts of today and, shortly after midnight, of yesterday; shared through files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[date, bytes] = {}
        self._days: frozenset[date] = frozenset()

    def _path(self, day: date) -> Path:
        return self.directory / f"{day.isoformat()}.salt"

    def _today(self, day: date) -> bytes:
        """Today's salt: made once by whichever worker comes first (a link cannot overwrite)."""
        path = self._path(day)
        if not path.exists():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            part = self.directory / f".{day.isoformat()}.{os.getpid()}.part"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, secrets.token_bytes(SALT_BYTES))
                os.fsync(fd)
            finally:
                os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(part, path)
            part.unlink()
        return path.read_bytes()

    def _refresh(self, days: frozenset[date]) -> None:
        """Keep the salts of `days` (today, and yesterday just after midnight); delete every other."""
        today = max(days)
        self._cache = {today: self._today(today)}
        for path in self.directory.glob("*.salt"):
            with contextlib.suppress(ValueError, FileNotFoundError):
                day = date.fromisoformat(path.stem)
                if day not in days:
                    path.unlink()
                elif day != today:
                    self._cache[day] = path.read_bytes()
        self._days = days

    def salt(self, day: date, now_s: float) -> bytes:
        """The salt for an event of `day` seen at `now_s`; a day whose salt is gone (or was never
        made: a browser clock far off) gets today's."""
        now = datetime.fromtimestamp(now_s, UTC).astimezone(ISTANBUL)
        today = now.date()
        crossing = now - datetime.combine(today, time(0), ISTANBUL) < KEEP_YESTERDAY
        days = frozenset({today, today - timedelta(days=1)} if crossing else {today})
        if days != self._days:
            self._refresh(days)
        return self._cache.get(day) or self._cache[today]


def visit_key(salt: bytes, site: str, ip: str, user_agent: str) -> str:
    """32 hex characters; the UA is the part classify reads (its first 512 characters)."""
    data = "\x1f".join((site.lower(), rate_key(ip), user_agent[:512])).encode("utf-8", "replace")
    return hashlib.blake2b(data, key=salt, digest_size=16).hexdigest()
