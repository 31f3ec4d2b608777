"""CPU time of server processes from /proc, so cost per event is known even when the
load generator shares the machine."""

from __future__ import annotations

import os
from collections.abc import Iterable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int, include_children: bool = False) -> float:
    """utime+stime of a process (plus its reaped children when asked); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    if include_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks * 1000.0 / CLOCK_TICKS


def tree_cpu_ms(master: int, workers: Iterable[int]) -> float:
    """A gunicorn master and its live workers; workers that died are in the master's child time."""
    return cpu_ms(master, include_children=True) + sum(cpu_ms(pid) for pid in workers)
