"""Chaos scenarios under steady load, each reconciled against ClickHouse at the end.

Run them all with the full durations (the figures in RELIABILITY.md):

    PYTHONPATH=. .venv/bin/python -m tests.chaos.scenarios --seconds 60

The load behaves like tracking.js: batches of events with browser-made ids, retried with
the same ids on 5xx and network errors, never on 4xx. An event counts as acknowledged
once a 202 covered it; `lost` is acknowledged events missing from ClickHouse and must be 0.
`duplicated` counts extra copies of an id (a retry of a request whose 202 never reached
the client); readers count `uniqExact(event_id)`, and ReplacingMergeTree folds them.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse
from tests.conftest import migrated_store
from tests.support.clients import dumps, new_event, post_raw
from tests.support.server import ServerProcess, base_env

BATCH = 5


@dataclass
class Tally:
    scenario: str
    seconds: float = 0.0
    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    duplicated: int = 0
    lost: int = 0
    answers_503: int = 0
    network_errors: int = 0
    notes: list[str] = field(default_factory=list)


class SteadyLoad:
    """A few threads posting batches at a bounded rate, retrying like tracking.js."""

    def __init__(self, server: ServerProcess, tally: Tally, threads: int = 4, pause_s: float = 0.02) -> None:
        self.server = server
        self.tally = tally
        self.acked: set[str] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]
        self.pause_s = pause_s

    def __enter__(self) -> SteadyLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _loop(self) -> None:
        while not self._stop.is_set():
            events = [new_event(random.choice(("pageview", "click", "scroll"))) for _ in range(BATCH)]
            with self._lock:
                self.tally.sent += len(events)
            self._deliver(events)
            time.sleep(self.pause_s)

    def _deliver(self, events: list[dict]) -> None:
        """Retry until acknowledged: the same ids every time, as the browser would."""
        body = dumps({"events": events})
        backoff = 0.1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status, _, _ = post_raw(self.server.url, "/api/track", body)
            except (OSError, http.client.HTTPException):
                with self._lock:
                    self.tally.network_errors += 1
                status = 0
            if status == 202:
                with self._lock:
                    self.tally.acknowledged += len(events)
                    self.acked.update(e["event_id"] for e in events)
                return
            if status == 503:
                with self._lock:
                    self.tally.answers_503 += 1
            elif 400 <= status < 500:
                raise AssertionError(f"unexpected {status} from /api/track")
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)


def reconcile(store: Store, acked: set[str], tally: Tally, timeout_s: float = 60.0) -> Tally:
    """Wait until every acknowledged id is stored (or time runs out), then count."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = store.query(
            f"SELECT toString(event_id), count() FROM {store.database}.events GROUP BY event_id"
        )
        copies = dict(rows)
        missing = acked - copies.keys()
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    tally.stored = len(acked & copies.keys())
    tally.lost = len(missing)
    tally.duplicated = sum(n - 1 for n in copies.values())
    return tally


@contextlib.contextmanager
def environment(
    workdir: Path, workers: int = 2, **env: str
) -> Iterator[tuple[LocalClickHouse, Store, ServerProcess]]:
    clickhouse = LocalClickHouse(workdir / "clickhouse")
    clickhouse.start()
    store = migrated_store(clickhouse)
    settings = base_env(clickhouse.url, store.database, workdir)
    settings.update(env)
    server = ServerProcess(settings, workdir, workers=workers).start()
    try:
        yield clickhouse, store, server
    finally:
        server.stop()
        clickhouse.stop()


def run_scenario(
    name: str,
    seconds: float,
    workdir: Path,
    fault: Callable[[LocalClickHouse, ServerProcess, float, Tally], None],
    **env: str,
) -> Tally:
    tally = Tally(name)
    started = time.monotonic()
    with environment(workdir, **env) as (clickhouse, store, server):
        with SteadyLoad(server, tally) as load:
            fault(clickhouse, server, seconds, tally)
        reconcile(store, load.acked, tally)
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


def kill_workers(clickhouse: LocalClickHouse, server: ServerProcess, seconds: float, tally: Tally) -> None:
    end = time.monotonic() + seconds
    kills = 0
    while time.monotonic() < end:
        time.sleep(3)
        pids = server.worker_pids()
        if pids:
            os.kill(random.choice(pids), signal.SIGKILL)
            kills += 1
    tally.notes.append(f"{kills} workers killed with SIGKILL")


def restart_clickhouse(
    clickhouse: LocalClickHouse, server: ServerProcess, seconds: float, tally: Tally
) -> None:
    time.sleep(seconds / 3)
    clickhouse.stop()
    time.sleep(seconds / 3)
    clickhouse.start()
    time.sleep(seconds / 3)
    tally.notes.append(f"ClickHouse SIGKILLed for {seconds / 3:.0f}s, then started")


def pause_clickhouse(
    clickhouse: LocalClickHouse, server: ServerProcess, seconds: float, tally: Tally
) -> None:
    pause = min(20.0, seconds / 2)
    time.sleep((seconds - pause) / 2)
    clickhouse.pause()
    time.sleep(pause)
    clickhouse.resume()
    time.sleep((seconds - pause) / 2)
    tally.notes.append(f"ClickHouse SIGSTOPped for {pause:.0f}s")


def restart_server(clickhouse: LocalClickHouse, server: ServerProcess, seconds: float, tally: Tally) -> None:
    time.sleep(seconds / 2)
    code = server.stop(signal.SIGTERM)
    server.start()
    time.sleep(seconds / 2)
    tally.notes.append(f"whole server SIGTERMed (exit {code}) and started again")


def fill_spool(clickhouse: LocalClickHouse, server: ServerProcess, seconds: float, tally: Tally) -> None:
    time.sleep(seconds / 4)
    clickhouse.stop()
    time.sleep(seconds / 2)
    clickhouse.start()
    time.sleep(seconds / 4)
    alive = server.process is not None and server.process.poll() is None
    tally.notes.append(f"spill on a 1 MiB tmpfs, ClickHouse down {seconds / 2:.0f}s; server alive: {alive}")


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str = "1m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def scenario_spool_full(seconds: float, workdir: Path) -> Tally:
    with small_tmpfs(workdir / "tmpfs") as tmpfs:
        return run_scenario(
            "spool disk full",
            seconds,
            workdir,
            fill_spool,
            DATA_DIR=str(tmpfs),
            RING_CAPACITY_BYTES="65536",
            SPILL_SEGMENT_BYTES="131072",
        )


SCENARIOS: dict[str, Callable[[float, Path], Tally]] = {
    "kill_workers": lambda s, w: run_scenario("kill -9 a worker every 3 s", s, w, kill_workers),
    "clickhouse_restart": lambda s, w: run_scenario(
        "ClickHouse killed and restarted", s, w, restart_clickhouse
    ),
    "clickhouse_pause": lambda s, w: run_scenario("ClickHouse paused (SIGSTOP)", s, w, pause_clickhouse),
    "spool_full": scenario_spool_full,
    "server_restart": lambda s, w: run_scenario("server SIGTERM + restart", s, w, restart_server),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", default=list(SCENARIOS), help=", ".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("loadtest/results/chaos.json"))
    args = parser.parse_args()
    results = []
    header = f"{'scenario':34} {'sent':>7} {'acked':>7} {'stored':>7} {'dup':>5} {'lost':>5} {'503s':>5} {'neterr':>6}"
    print(header)
    for name in args.names:
        with tempfile.TemporaryDirectory(prefix=f"chaos-{name}-") as tmp:
            tally = SCENARIOS[name](args.seconds, Path(tmp))
        results.append(asdict(tally))
        print(
            f"{tally.scenario:34} {tally.sent:7} {tally.acknowledged:7} {tally.stored:7} {tally.duplicated:5} "
            f"{tally.lost:5} {tally.answers_503:5} {tally.network_errors:6}  {'; '.join(tally.notes)}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"written to {args.out}")
    return 1 if any(r["lost"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
