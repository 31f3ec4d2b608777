"""How many calls to Google one backend may still make, so that splitting a bad batch or asking for
request statuses never runs through Google's quota (300 requests a minute per project)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

PER_MINUTE = 250
"""Below Google's 300/minute, leaving room for `eslamed ads check` and a cron run beside a worker."""

SPLIT_CALLS_PER_UPLOAD = 24
"""Halving a 2,000-sale batch to one event with no index from Google takes about 2 x 11 calls."""


class CallBudget:
    """A sliding one-minute window of calls made; `take()` is False once the window is full."""

    def __init__(self, per_minute: int = PER_MINUTE, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.calls: deque[float] = deque()

    def take(self) -> bool:
        now = self.clock()
        while self.calls and now - self.calls[0] >= 60:
            self.calls.popleft()
        if len(self.calls) >= self.per_minute:
            return False
        self.calls.append(now)
        return True
