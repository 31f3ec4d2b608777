"""The load run's arithmetic and verdicts, without starting anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loadtest import report
from loadtest.procstat import cpu_ms, tree_cpu_ms
from loadtest.profile import rank

LIMITS = report.Thresholds(events_per_s=1500, leads_per_s=5)


def passing_summary() -> dict:
    track = {"requests": 90000, "failures": 0, "p50_ms": 4.0, "p99_ms": 40.0, "rps": 300.0}
    lead = {"requests": 1500, "failures": 0, "p50_ms": 20.0, "p99_ms": 120.0, "rps": 5.0}
    clean = {"acknowledged": 10, "stored": 10, "lost": 0, "stored_unacknowledged": 0, "duplicate_rows": 0}
    return {
        "target": {"events_per_s": 1500, "leads_per_s": 5, "duration_s": 300, "ramp_s": 30},
        "endpoints": {"/api/track": track, "/api/lead": lead, "Aggregated": track},
        "events_per_s": 1510.0,
        "leads_per_s": 5.1,
        "reconciled": {"events": dict(clean), "leads": dict(clean)},
        "cpu_ms_per_1000_events": {"gunicorn": 250.0, "clickhouse": 50.0},
        "cpx11_projected_events_per_s": 4667.0,
        "outage": None,
        "not_exercised": [],
    }


def test_default_targets_mean_250_visits_per_second_with_2_percent_leads() -> None:
    plan = report.plan(1500, 5)
    assert plan.visits_per_s == 250
    assert plan.lead_share == pytest.approx(0.02)
    assert plan.users == 1000
    assert plan.pacing_s == pytest.approx(4.0)


def test_fixed_user_count_changes_the_pacing_not_the_rate() -> None:
    plan = report.plan(1500, 5, users=500)
    assert plan.pacing_s == pytest.approx(2.0)
    assert plan.users / plan.pacing_s == pytest.approx(250)


def test_a_clean_run_passes() -> None:
    assert report.missed(passing_summary(), LIMITS) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["endpoints"]["/api/track"].update(p99_ms=100.0), "p99 /api/track 100 ms >= 100 ms"),
        (lambda s: s["endpoints"]["/api/lead"].update(p99_ms=450.0), "p99 /api/lead 450 ms >= 300 ms"),
        (lambda s: s["endpoints"]["/api/track"].update(failures=3), "3 failed requests"),
        (lambda s: s.update(events_per_s=1200.0), "held 1200 events/s, target 1500"),
        (lambda s: s["reconciled"]["events"].update(lost=2), "2 acknowledged events not in ClickHouse"),
        (lambda s: s["reconciled"]["leads"].update(duplicate_rows=1), "1 duplicate leads rows"),
        (
            lambda s: s.update(
                outage={"down_s": 40.0, "pending_events": 5321, "ring_bytes": 3_000_000, "spill_bytes": 0}
            ),
            "ClickHouse was down for 40 s: 5321 events were still in the spool "
            "(3,000,000 ring + 0 spill bytes)",
        ),
    ],
)
def test_each_missed_threshold_is_named(change, expected: str) -> None:
    summary = passing_summary()
    change(summary)
    assert report.missed(summary, LIMITS) == [expected]
    summary["missed"] = report.missed(summary, LIMITS)
    assert "FAIL" in report.table(summary, LIMITS)


def test_reconcile_separates_loss_from_unread_replies() -> None:
    result = report.reconcile({"a", "b", "c"}, {"b", "c", "d"}, stored_rows=4)
    assert result == {
        "acknowledged": 3,
        "stored": 3,
        "lost": 1,
        "stored_unacknowledged": 1,
        "duplicate_rows": 1,
    }


def test_cpx11_projection_uses_two_cpus_at_70_percent() -> None:
    assert report.cpx11_events_per_s(280.0) == pytest.approx(5000.0)


def test_locust_csv_is_read_by_request_name(tmp_path: Path) -> None:
    csv = tmp_path / "locust_stats.csv"
    header = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    )
    csv.write_text(
        f"{header}\n"
        "POST,/api/track,1130,2,42,105.9,1.9,2256.7,26.0,47.79,0.0,42,71,90,100,150,220,990,2200,2300,2300,2300\n"
        "GET,/api/admin/stats,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n"
    )
    stats = report.read_locust_stats(csv)
    assert stats["/api/track"] == report.EndpointStats(1130, 2, 42.0, 2200.0, 47.79)
    assert stats["/api/admin/stats"].p99_ms == 0.0


def test_cpu_time_of_this_process_grows_and_a_gone_process_counts_zero() -> None:
    before = cpu_ms(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert cpu_ms(os.getpid()) > before
    assert cpu_ms(2**22 + 12345) == 0.0
    assert tree_cpu_ms(os.getpid(), []) >= cpu_ms(os.getpid())


def test_profile_ranks_own_and_total_time() -> None:
    collapsed = (
        'process 1:"gunicorn";handle (gunicorn/workers/ggevent.py:10);append (eslamed/ring/slot.py:120) 30\n'
        'process 1:"gunicorn";handle (gunicorn/workers/ggevent.py:10);glob (pathlib.py:900) 70\n'
    )
    ranked = rank(collapsed)
    assert ranked["own"][0] == ("glob (pathlib.py)", 70.0)
    assert ("handle (gunicorn/workers/ggevent.py)", 100.0) in ranked["total"]
