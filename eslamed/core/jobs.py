"""Background work of a worker: named jobs on one supervisor, each with its interval, backoff and leader.

A job's `tick` does one round of work. It returns normally (next round after `interval_s`, or after
the seconds it returns, as the ring flusher does) or raises:
an expected outage (`quiet`, e.g. ClickHouse down) is a warning and the wait doubles up to
`backoff_max_s`; anything else is logged with its trace and waits `backoff_max_s`. A job with a
`leader` lock ticks only in the one process holding it; the kernel frees the lock when that process
dies, so another worker takes over on its next round. `health()` feeds `/readyz` and `/metrics`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import gevent.event

from eslamed.core import metrics
from eslamed.core.locks import Leader

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    tick: Callable[[], object]
    interval_s: float
    backoff_max_s: float = 60.0
    leader: Leader | None = None
    quiet: tuple[type[BaseException], ...] = ()
    on_failure: Callable[[], object] | None = None
    """Called after a failed round (the flusher marks ClickHouse down)."""
    on_stop: Callable[[], object] | None = None
    """Called once when the supervisor stops, after the last tick (flush, release, join)."""
    first_after_s: float = 0.0
    wake: gevent.event.Event | None = None
    """Set by whoever has work for the job now (a full batch of events): the round starts at once."""
    runs: int = 0
    failures: int = 0
    last_ok: float | None = None
    last_error: str = ""
    _delay: float = field(default=0.0, repr=False)

    def round(self) -> float:
        """One round; returns the seconds to wait before the next."""
        if self.leader is not None and not self.leader.acquire():
            return self.interval_s
        try:
            wait = self.tick()
        except self.quiet as exc:
            self._failed(exc)
            self._delay = min(max(self._delay * 2, self.interval_s), self.backoff_max_s)
            log.warning("%s waits %.1fs: %s", self.name, self._delay, exc)
            return self._delay
        except Exception as exc:
            self._failed(exc)
            self._delay = self.backoff_max_s
            log.exception("%s failed; next round in %.0fs", self.name, self._delay)
            return self._delay
        self.runs += 1
        self.last_ok = time.time()
        self.last_error = ""
        self._delay = self.interval_s
        metrics.JOB_ROUNDS.labels(self.name, "ok").inc()
        return wait if isinstance(wait, int | float) and not isinstance(wait, bool) else self.interval_s

    def _failed(self, exc: BaseException) -> None:
        if self.on_failure is not None:
            self.on_failure()
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        metrics.JOB_ROUNDS.labels(self.name, "failed").inc()

    def health(self) -> dict[str, object]:
        return {
            "leader": None if self.leader is None else self.leader.held,
            "runs": self.runs,
            "failures": self.failures,
            "last_ok": self.last_ok,
            "last_error": self.last_error,
        }


class Supervisor:
    """The worker's jobs: started together after the worker forks, stopped together on exit."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._greenlets: list[gevent.Greenlet] = []
        self._stop = gevent.event.Event()

    def add(self, job: Job) -> Job:
        self.jobs.append(job)
        return job

    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._run, job) for job in self.jobs]

    def _run(self, job: Job) -> None:
        wait = job.first_after_s
        while not self._wait(job, wait):
            wait = job.round()

    def _wait(self, job: Job, seconds: float) -> bool:
        """True once the supervisor stops; a job with a wake event also starts early when it is set."""
        if job.wake is None:
            return self._stop.wait(timeout=seconds)
        job.wake.wait(timeout=max(0.0, seconds))
        job.wake.clear()
        return self._stop.is_set()

    def stop(self, deadline_s: float = 5.0) -> None:
        self._stop.set()
        for job in self.jobs:
            if job.wake is not None:
                job.wake.set()
        gevent.joinall(self._greenlets, timeout=deadline_s)
        gevent.killall(self._greenlets, block=False)
        for job in self.jobs:
            if job.on_stop is not None:
                try:
                    job.on_stop()
                except Exception:
                    log.exception("%s did not stop cleanly", job.name)
            if job.leader is not None:
                job.leader.release()

    def health(self) -> dict[str, dict[str, object]]:
        return {job.name: job.health() for job in self.jobs}
