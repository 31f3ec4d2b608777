"""A server whose wall clock the demo moves: Debian's libfaketime, preloaded into gunicorn.

The demo week must reach the real endpoints (issue 13), and they stamp leads and owner actions with
the server's clock and keep a browser's clock only within 72 hours. So instead of a clock hook in the
product, the demo server's libc wall clock is shifted from outside: each `set` writes the offset that
the server's next clock read sees (FAKETIME_NO_CACHE). Monotonic time stays real, so timeouts, the
flusher and gunicorn's heartbeat behave as in production.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LIBRARY_GLOB = "/usr/lib/*/faketime/libfaketimeMT.so.1"


def library() -> str:
    """The preload library of Debian's `faketime` package, or '' when it is not installed."""
    found = sorted(glob.glob(LIBRARY_GLOB))
    return found[0] if found else ""


@dataclass
class FakeClock:
    path: Path

    def env(self, start: datetime) -> dict[str, str]:
        """The settings that put a gunicorn server on this clock, which reads `start` when it starts."""
        if not library():
            raise RuntimeError("the demo week needs libfaketime: apt-get install faketime")
        self.set(start)
        return {
            "LD_PRELOAD": library(),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            "GUNICORN_CMD_ARGS": "--timeout 0",
        }

    def set(self, at: datetime) -> None:
        """From now on the clock reads `at` and runs on from there; renamed into place, never half-written."""
        offset_s = (at - datetime.now(UTC)).total_seconds()
        part = self.path.with_suffix(".part")
        part.write_text(f"{offset_s:+.3f}\n")
        os.replace(part, self.path)
