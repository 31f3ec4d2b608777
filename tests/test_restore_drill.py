"""The restore drill script runs end to end and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support.paths import REPO


def test_drill_restores_identical_tables_and_prints_rto() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "ops/restore_drill.py",
            "--days",
            "2",
            "--events-per-day",
            "200",
            "--leads",
            "12",
            "--rto-target-min",
            "600",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert re.search(r"^events\s+400\s+400\s+identical$", out, re.M)
    assert re.search(r"^leads\s+12\s+12\s+identical$", out, re.M)
    assert re.search(r"^conversions\s+3\s+3\s+identical$", out, re.M)
    assert re.search(r"restore: 427 rows in [\d.]+ s", out)
    assert re.search(r"projected RTO for one year \(3,000,000 events, 5,000 leads\): [\d.]+ min", out)
    assert "drill PASSED" in out
