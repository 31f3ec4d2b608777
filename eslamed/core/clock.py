"""The one clock: UTC as ClickHouse DateTime columns hold it, the business's time zone, and row versions.

Versioned tables (ReplacingMergeTree by `version`) keep the row with the highest version, so a
new version must be higher than every version already stored, even one written by a clock ahead.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ISTANBUL = ZoneInfo("Europe/Istanbul")
"""The owner's day: stats, salts and sales close at Istanbul midnight."""


def utc_now() -> datetime:
    """Naive UTC to the second, the way ClickHouse DateTime columns hold time."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def new_version(above: int = 0) -> int:
    """Nanoseconds since the epoch, and always above `above` (the highest version stored so far)."""
    return max(time.time_ns(), above + 1)
