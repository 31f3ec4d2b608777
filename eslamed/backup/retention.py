"""Which backups to keep: the newest of each of the last N days, weeks and months."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


def keep(backups: dict[str, datetime], daily: int = 7, weekly: int = 4, monthly: int = 12) -> set[str]:
    """Backup ids to keep; the newest backup is always kept. Everything else may be deleted."""
    newest_first = sorted(backups, key=lambda b: backups[b], reverse=True)
    kept: set[str] = set(newest_first[:1])

    def newest_per(period: Callable[[datetime], tuple], count: int) -> None:
        seen: list[tuple] = []
        for backup_id in newest_first:
            key = period(backups[backup_id])
            if key in seen:
                continue
            if len(seen) == count:
                return
            seen.append(key)
            kept.add(backup_id)

    newest_per(lambda t: (t.date(),), daily)
    newest_per(lambda t: tuple(t.isocalendar()[:2]), weekly)
    newest_per(lambda t: (t.year, t.month), monthly)
    return kept
