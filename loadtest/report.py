"""The load run's arithmetic, apart from the processes: how many users for a target rate,
reading locust's CSV, reconciliation, thresholds, and the CPX11 projection."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

EVENTS_PER_VISIT = 6.0  # a pageview, then one tracking.js batch of 3..7 interactions
VISIT_PACING_S = 4.0  # under gunicorn's 5 s keep-alive, so users keep their connection
CPX11_CPU_MS_PER_S = 2000.0  # 2 vCPUs
CPX11_HEADROOM = 0.7  # plan to use at most 70% of the box


@dataclass(frozen=True)
class Plan:
    users: int
    pacing_s: float
    lead_share: float
    visits_per_s: float


def plan(events_per_s: float, leads_per_s: float, users: int | None = None) -> Plan:
    """Visitor users and their pacing for a target event rate; the lead share follows from it
    (1,500 events/s and 5 leads/s -> 250 visits/s, 2% of them leave a lead)."""
    visits_per_s = events_per_s / EVENTS_PER_VISIT
    if users is None:
        users = max(1, round(visits_per_s * VISIT_PACING_S))
    pacing = users / visits_per_s
    return Plan(users, pacing, min(1.0, leads_per_s / visits_per_s), visits_per_s)


@dataclass(frozen=True)
class EndpointStats:
    requests: int
    failures: int
    p50_ms: float
    p99_ms: float
    rps: float


def read_locust_stats(path: Path) -> dict[str, EndpointStats]:
    """Rows of locust's <prefix>_stats.csv by request name ('Aggregated' included)."""
    stats = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = EndpointStats(
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=float(row["50%"] if row["50%"] != "N/A" else 0),
                p99_ms=float(row["99%"] if row["99%"] != "N/A" else 0),
                rps=float(row["Requests/s"]),
            )
    return stats


def reconcile(acknowledged: set[str], stored: set[str], stored_rows: int) -> dict[str, int]:
    """Acknowledged ids must all be stored, once. Stored ids nobody saw acknowledged are
    requests whose reply the client never read (timeouts, the run's end); they are not loss."""
    return {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "lost": len(acknowledged - stored),
        "stored_unacknowledged": len(stored - acknowledged),
        "duplicate_rows": stored_rows - len(stored),
    }


def cpx11_events_per_s(cpu_ms_per_1000_events: float) -> float:
    """Events/s a 2-vCPU box sustains at 70% CPU, if its cores are as fast as this machine's."""
    return CPX11_CPU_MS_PER_S * CPX11_HEADROOM * 1000.0 / cpu_ms_per_1000_events


@dataclass(frozen=True)
class Thresholds:
    events_per_s: float
    leads_per_s: float
    p99_track_ms: float = 100.0
    p99_lead_ms: float = 300.0
    rate_tolerance: float = 0.95
    lead_tolerance: float = 0.8  # leads are random (2% of visits): a short run sees few


def missed(summary: dict, limits: Thresholds) -> list[str]:
    """One line per threshold the run missed; empty when it passed."""
    out = []
    endpoints = summary["endpoints"]
    track, lead = endpoints.get("/api/track"), endpoints.get("/api/lead")
    if track and track["p99_ms"] >= limits.p99_track_ms:
        out.append(f"p99 /api/track {track['p99_ms']:.0f} ms >= {limits.p99_track_ms:.0f} ms")
    if lead and lead["p99_ms"] >= limits.p99_lead_ms:
        out.append(f"p99 /api/lead {lead['p99_ms']:.0f} ms >= {limits.p99_lead_ms:.0f} ms")
    failures = sum(e["failures"] for name, e in endpoints.items() if name != "Aggregated")
    if failures:
        out.append(f"{failures} failed requests")
    if summary["events_per_s"] < limits.events_per_s * limits.rate_tolerance:
        out.append(f"held {summary['events_per_s']:.0f} events/s, target {limits.events_per_s:.0f}")
    if lead is not None and summary["leads_per_s"] < limits.leads_per_s * limits.lead_tolerance:
        out.append(f"held {summary['leads_per_s']:.1f} leads/s, target {limits.leads_per_s:.1f}")
    for kind in ("events", "leads"):
        rec = summary["reconciled"].get(kind)
        if rec and rec["lost"]:
            out.append(f"{rec['lost']} acknowledged {kind} not in ClickHouse")
        if rec and rec["duplicate_rows"]:
            out.append(f"{rec['duplicate_rows']} duplicate {kind} rows")
    outage = summary.get("outage")
    if outage:
        out.append(
            f"ClickHouse was down for {outage['down_s']:.0f} s: {outage['pending_events']} events were "
            f"still in the spool ({outage['ring_bytes']:,} ring + {outage['spill_bytes']:,} spill bytes)"
        )
    return out


def table(summary: dict, limits: Thresholds) -> str:
    """The one-screen verdict."""
    lines = [""]
    target = summary["target"]
    lines.append(
        f"held {summary['events_per_s']:,.0f} events/s (target {target['events_per_s']:,.0f}), "
        f"{summary['leads_per_s']:.1f} leads/s (target {target['leads_per_s']:g}) "
        f"for {target['duration_s']} s after a {target['ramp_s']} s ramp"
    )
    lines.append(f"{'endpoint':20} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, e in summary["endpoints"].items():
        lines.append(
            f"{name:20} {e['requests']:>9,} {e['failures']:>9,} {e['rps']:>8.1f} {e['p50_ms']:>8.0f} "
            f"{e['p99_ms']:>8.0f}"
        )
    for kind, rec in summary["reconciled"].items():
        lines.append(
            f"{kind:7} acknowledged {rec['acknowledged']:>9,}  in ClickHouse {rec['stored']:>9,}  "
            f"lost {rec['lost']:,}  duplicates {rec['duplicate_rows']:,}  "
            f"(stored, reply not read: {rec['stored_unacknowledged']:,})"
        )
    cpu = summary["cpu_ms_per_1000_events"]
    clickhouse = f"{cpu['clickhouse']:.0f}" if cpu["clickhouse"] is not None else "n/a (restarted)"
    lines.append(f"server CPU-ms per 1,000 events: gunicorn {cpu['gunicorn']:.0f}, ClickHouse {clickhouse}")
    if summary.get("cpx11_projected_events_per_s"):
        lines.append(
            f"projected CPX11 (2 vCPU at 70%, cores as fast as these): "
            f"{summary['cpx11_projected_events_per_s']:,.0f} events/s"
        )
    if summary.get("not_exercised"):
        lines.append(f"not in this build, not exercised: {', '.join(summary['not_exercised'])}")
    if summary["missed"]:
        lines.append("FAIL")
        lines += [f"  - {line}" for line in summary["missed"]]
    else:
        lines.append(
            f"PASS (p99 /api/track < {limits.p99_track_ms:.0f} ms, /api/lead < {limits.p99_lead_ms:.0f} ms, "
            "0 failures, 0 lost)"
        )
    return "\n".join(lines)
