"""The job supervisor: rounds, backoff, leader election, early wake, health and a clean stop."""

from __future__ import annotations

from pathlib import Path

import gevent
import gevent.event

from eslamed.core.jobs import Job, Supervisor
from eslamed.core.locks import Leader
from eslamed.core.store import StoreUnavailable


def test_an_expected_outage_backs_off_doubling_and_a_good_round_resets_it() -> None:
    answers = [StoreUnavailable("down")] * 4 + [None]

    def tick() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    job = Job("flaky", tick, interval_s=1.0, backoff_max_s=5.0, quiet=(StoreUnavailable,))
    assert [job.round() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 1.0]
    assert (job.runs, job.failures, job.last_error) == (1, 4, "")


def test_an_unexpected_error_waits_the_longest_and_is_in_the_health_report() -> None:
    def tick() -> None:
        raise RuntimeError("bug")

    job = Job("buggy", tick, interval_s=1.0, backoff_max_s=30.0)
    assert job.round() == 30.0
    assert job.health() == {
        "leader": None,
        "runs": 0,
        "failures": 1,
        "last_ok": None,
        "last_error": "RuntimeError: bug",
    }


def test_only_the_leader_ticks_and_another_takes_over_when_it_stops(tmp_path: Path) -> None:
    ticks: list[str] = []
    first = Supervisor()
    second = Supervisor()
    first.add(Job("a", lambda: ticks.append("a"), 0.01, leader=Leader(tmp_path / "lead.lock")))
    second.add(Job("b", lambda: ticks.append("b"), 0.01, leader=Leader(tmp_path / "lead.lock")))
    first.start()
    gevent.sleep(0.05)
    second.start()
    gevent.sleep(0.1)
    assert set(ticks) == {"a"}, "the second supervisor never led while the first held the lock"
    first.stop()
    ticks.clear()
    gevent.sleep(0.1)
    second.stop()
    assert ticks and set(ticks) == {"b"}, "the lock was released on stop and the other job took over"


def test_a_wake_starts_the_round_at_once_and_stop_runs_on_stop_once() -> None:
    wake = gevent.event.Event()
    rounds: list[int] = []
    stopped: list[bool] = []
    jobs = Supervisor()
    jobs.add(Job("woken", lambda: rounds.append(1), 60.0, wake=wake, on_stop=lambda: stopped.append(True)))
    jobs.start()
    gevent.sleep(0.02)
    assert len(rounds) == 1, "the first round runs at start"
    wake.set()
    gevent.sleep(0.02)
    assert len(rounds) == 2, "a wake does not wait the 60 s interval"
    jobs.stop()
    assert stopped == [True]
    assert jobs.health()["woken"]["runs"] == 2
