"""Where a server worker spends its time under load: py-spy samples the gunicorn workers
during one extra benchmark round; the collapsed stacks are ranked by own and total time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from eslamed.devtools.server_process import ServerProcess

TOP = 15


def py_spy() -> str | None:
    return shutil.which("py-spy") or shutil.which(str(Path(sys.executable).with_name("py-spy")))


def rank(collapsed: str, top: int = TOP) -> dict[str, list[tuple[str, float]]]:
    """Own time (leaf frame) and total time (anywhere on the stack) per function, in % of samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += n
        own[_short(frames[-1])] += n
        for name in {_short(f) for f in frames}:
            total[name] += n
    if not samples:
        return {"own": [], "total": []}
    return {
        "own": [(name, 100.0 * n / samples) for name, n in own.most_common(top)],
        "total": [(name, 100.0 * n / samples) for name, n in total.most_common(top * 2)],
    }


def _short(frame: str) -> str:
    """'append (eslamed/ring/slot.py:120)' -> 'append (eslamed/ring/slot.py)'."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    for marker in ("site-packages/", "/lib/python3", "wt-", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def record_round(server: ServerProcess, drive: Callable[[], dict], workdir: Path) -> dict | None:
    binary = py_spy()
    if binary is None or server.process is None:
        print("py-spy not installed (.venv/bin/pip install py-spy); skipping the profile")
        return None
    out = workdir / "profile.txt"
    spy = subprocess.Popen(
        [binary, "record", "--pid", str(server.process.pid), "--subprocesses", "--nonblocking",
         "--rate", "200", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        result = drive()
    finally:
        spy.send_signal(2)
        spy.wait(timeout=60)
    if not out.exists():
        print(f"py-spy wrote nothing: {spy.stderr.read().decode(errors='replace') if spy.stderr else ''}")
        return None
    ranked = rank(out.read_text())
    ranked["events_per_s_while_profiled"] = result["events_per_s"]
    return ranked


def format_top(ranked: dict) -> str:
    lines = ["py-spy, gunicorn workers, % of samples (own time = the function itself):"]
    lines += [f"  {pct:5.1f}%  {name}" for name, pct in ranked["own"]]
    lines.append("total time (function and what it calls):")
    lines += [f"  {pct:5.1f}%  {name}" for name, pct in ranked["total"]]
    return "\n".join(lines)
