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
import logging
import os
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from eslamed.core.clock import ISTANBUL
from eslamed.core.durable import fsync_fd
from eslamed.core.ratelimit import rate_key
from eslamed.core.sql.events import SESSION_GAP_S

log = logging.getLogger(__name__)

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
        self._same_until = 0.0  # epoch seconds until which the kept days cannot change
        self._today: tuple[float, float, bytes] = (0.0, 0.0, b"")  # today's [start, end) and salt
        self._unsaved: dict[date, bytes] = {}  # a salt the disk had no room for yet

    def _path(self, day: date) -> Path:
        return self.directory / f"{day.isoformat()}.salt"

    def _make_today(self, day: date) -> bytes:
        """Today's salt: made once by whichever worker comes first (a link cannot overwrite). When it
        cannot be written (a full disk) this worker keeps one in memory and tries again a minute later:
        its visits may then split from other workers', but no event or lead fails for it."""
        path = self._path(day)
        if not path.exists():
            salt = self._unsaved.get(day) or secrets.token_bytes(SALT_BYTES)
            part = self.directory / f".{day.isoformat()}.{os.getpid()}.part"
            try:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.write(fd, salt)
                    fsync_fd(fd)  # a salt lost to a power cut would split the day's visits
                finally:
                    os.close(fd)
                with contextlib.suppress(FileExistsError):
                    os.link(part, path)
            except OSError as exc:
                log.warning("the day's visit salt could not be written (%s); kept in memory for now", exc)
                self._unsaved[day] = salt
                return salt
            finally:
                with contextlib.suppress(OSError):
                    part.unlink()
        self._unsaved.pop(day, None)
        return path.read_bytes()

    def _refresh(self, days: frozenset[date]) -> None:
        """Keep the salts of `days` (today, and yesterday just after midnight); delete every other."""
        today = max(days)
        self._cache = {today: self._make_today(today)}
        for path in self.directory.glob("*.salt"):
            with contextlib.suppress(ValueError, FileNotFoundError):
                day = date.fromisoformat(path.stem)
                if day not in days:
                    path.unlink()
                elif day != today:
                    self._cache[day] = path.read_bytes()
        self._days = days

    def _update(self, now_s: float) -> None:
        """Refresh the kept days when they may have changed (at midnight, and when yesterday's expires)."""
        if now_s < self._same_until:
            return
        now = datetime.fromtimestamp(now_s, UTC).astimezone(ISTANBUL)
        today = now.date()
        midnight = datetime.combine(today, time(0), ISTANBUL)
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), ISTANBUL)
        crossing = now - midnight < KEEP_YESTERDAY
        days = frozenset({today, today - timedelta(days=1)} if crossing else {today})
        if days != self._days:
            self._refresh(days)
        self._today = (midnight.timestamp(), tomorrow.timestamp(), self._cache[today])
        self._same_until = (midnight + KEEP_YESTERDAY if crossing else tomorrow).timestamp()
        if today in self._unsaved:  # not on disk yet: try again in a minute
            self._days, self._same_until = frozenset(), min(self._same_until, now_s + 60)

    def today(self, now_s: float) -> tuple[float, float, bytes]:
        """Today's bounds in epoch seconds and its salt: the hot path, a comparison once per request."""
        self._update(now_s)
        return self._today

    def salt(self, day: date, now_s: float) -> bytes:
        """The salt for an event of `day` seen at `now_s`; a day whose salt is gone (or was never
        made: a browser clock far off) gets today's."""
        self._update(now_s)
        return self._cache.get(day) or self._today[2]


def visit_key(salt: bytes, site: str, ip: str, user_agent: str) -> str:
    """32 hex characters; the UA is the part classify reads (its first 512 characters)."""
    data = "\x1f".join((site.lower(), rate_key(ip), user_agent[:512])).encode("utf-8", "replace")
    return hashlib.blake2b(data, key=salt, digest_size=16).hexdigest()


class VisitKeys:
    """One request's keys: today's, computed once, for the events of today (nearly all); a late beacon
    of an earlier day gets that day's salt while it is still kept."""

    __slots__ = ("end", "ip", "now", "salts", "site", "start", "today", "user_agent")

    def __init__(self, salts: Salts | None, site: str, ip: str, user_agent: str, now: float) -> None:
        self.salts, self.site, self.ip, self.user_agent, self.now = salts, site, ip, user_agent, now
        if salts is None:  # no salts (a unit test's context): events carry no key
            self.start, self.end, self.today = 0.0, 0.0, ""
            return
        self.start, self.end, salt = salts.today(now)
        self.today = visit_key(salt, site, ip, user_agent)

    def of_day(self, ts: float) -> str:
        if self.salts is None:
            return ""
        return visit_key(self.salts.salt(istanbul_day(ts), self.now), self.site, self.ip, self.user_agent)


NO_KEYS = VisitKeys(None, "", "", "", 0.0)
