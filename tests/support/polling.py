"""Wait for an outcome (a row in ClickHouse, a file) with a deadline instead of fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T],
    timeout_s: float = 15.0,
    interval_s: float = 0.2,
    what: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Return the first truthy value of probe(); fail with `what` when the deadline passes.

    Browser tests pass `sleep=` a Playwright wait: the sync API delivers events and runs route
    handlers only while a Playwright call is in progress, never during time.sleep.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or probe}")
        sleep(interval_s)
