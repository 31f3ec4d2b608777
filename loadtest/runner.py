"""The pre-deploy load run: one command, a pass/fail verdict and a report.

Starts ClickHouse (memory capped for a 4 GB box) and the server with the production gunicorn
settings, both pinned to 2 CPUs; ramps locust to the target, holds it, waits for the flush,
and reconciles every acknowledged event and lead id with ClickHouse. Writes the locust CSV +
HTML and summary.json to loadtest/results/<timestamp>/; exits 1 when a threshold is missed.

    loadtest/run                                   # 1,500 events/s + 5 leads/s for 5 minutes
    loadtest/run --events-per-s 300 --duration 30  # a quick check on a busy machine
    loadtest/run --break-clickhouse                # ClickHouse stopped halfway: must fail, lose nothing
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import requests

from eslamed.devtools.paths import REPO
from eslamed.devtools.server_process import ServerProcess
from loadtest import report
from loadtest.stack import ADMIN_SECRET, Stack, server_cpu_ms, split_cpus, stop_server

RESULTS = REPO / "loadtest" / "results"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def probe(server: ServerProcess) -> dict[str, bool]:
    """Which endpoints this build has: the lead and admin APIs come from other work streams."""
    lead = requests.post(f"{server.url}/api/lead", json={}, timeout=5).status_code
    admin = requests.get(
        f"{server.url}/api/admin/stats", headers={"X-Admin-Secret": ADMIN_SECRET}, timeout=5
    ).status_code
    return {"lead": lead not in (404, 405), "admin": admin not in (404, 405)}


def spool_state(server: ServerProcess) -> dict[str, int]:
    from loadtest.stack import prometheus_values

    values = prometheus_values(server.url)
    accepted = values.get("eslamed_events_accepted_total", 0.0)
    flushed = values.get("eslamed_events_flushed_total", 0.0)
    return {
        "accepted": int(accepted),
        "pending_events": int(accepted - flushed),
        "ring_bytes": int(values.get("eslamed_ring_used_bytes", 0.0)),
        "spill_bytes": int(values.get("eslamed_spill_bytes", 0.0)),
    }


def read_acks(directory: Path, kind: str) -> dict[str, float]:
    """Acknowledged id -> when (lead lines carry the epoch time; event lines only the id)."""
    acks: dict[str, float] = {}
    for path in directory.glob(f"{kind}-*.txt"):
        for line in path.read_text().splitlines():
            if line:
                ident, _, when = line.partition(" ")
                acks[ident] = float(when or 0)
    return acks


def stored_ids(stack: Stack, table: str, column: str, final: bool = False) -> tuple[set[str], int]:
    """Distinct ids and row count; `final` collapses a versioned table (a lead's status rows)."""
    db = stack.store.database
    rows = stack.store.query(f"SELECT toString({column}) FROM {db}.{table}{' FINAL' if final else ''}")
    return {r[0] for r in rows}, len(rows)


def wait_flushed(
    stack: Stack, server: ServerProcess, events: set[str], leads: set[str], timeout_s: float
) -> float:
    started = time.monotonic()
    db = stack.store.database
    while time.monotonic() - started < timeout_s:
        try:
            unique_events = stack.store.query(f"SELECT uniqExact(event_id) FROM {db}.events")[0][0]
            unique_leads = stack.store.query(f"SELECT uniqExact(lead_id) FROM {db}.leads")[0][0]
            if (
                unique_events >= len(events)
                and unique_leads >= len(leads)
                and not spool_state(server)["pending_events"]
            ):
                break
        except Exception as exc:  # ClickHouse still coming back
            print(f"  waiting for ClickHouse: {exc.__class__.__name__}")
        time.sleep(1)
    return time.monotonic() - started


def locust_command(
    args: argparse.Namespace,
    server: ServerProcess,
    plan: report.Plan,
    out: Path,
    classes: list[str],
    cpus: str | None,
) -> list[str]:
    run_s = args.ramp + args.duration
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", server.url,
        "-u", str(plan.users + ("Admin" in classes)), "-r", str(max(1.0, plan.users / max(args.ramp, 1))),
        "-t", f"{run_s}s", "--stop-timeout", "10",
        "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
        "--processes", str(args.processes), "--only-summary", "--loglevel", "WARNING", *classes,
    ]  # fmt: skip
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    return cmd


def break_clickhouse(
    stack: Stack, server: ServerProcess, at_s: float, outage: dict, stop: threading.Event
) -> None:
    if stop.wait(at_s):
        return
    print(f"--break-clickhouse: stopping ClickHouse at {at_s:.0f} s", flush=True)
    stack.clickhouse.stop()
    outage["stopped_at"] = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events-per-s", type=float, default=1500)
    parser.add_argument("--leads-per-s", type=float, default=5)
    parser.add_argument("--duration", type=int, default=300, help="seconds to hold the target after the ramp")
    parser.add_argument("--ramp", type=int, default=30, help="seconds to ramp up")
    parser.add_argument("--users", type=int, help="visitor users (default: from the target rate)")
    parser.add_argument("--processes", type=int, help="locust processes (default: one per locust CPU)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--server-cpus", help="taskset list for the server and ClickHouse ('none': no pinning)"
    )
    parser.add_argument("--p99-track-ms", type=float, default=100)
    parser.add_argument("--p99-lead-ms", type=float, default=300)
    parser.add_argument(
        "--break-clickhouse", action="store_true", help="stop ClickHouse halfway, start it after the load"
    )
    parser.add_argument("--flush-timeout", type=float, default=180)
    parser.add_argument("--out", type=Path, help="report folder (default loadtest/results/<timestamp>)")
    args = parser.parse_args(argv)

    started_at = datetime.now(UTC)
    out = args.out or RESULTS / started_at.strftime("%Y%m%dT%H%M%SZ")
    acks = out / "acks"
    acks.mkdir(parents=True, exist_ok=True)
    server_cpus, client_cpus = split_cpus(args.server_cpus)
    plan = report.plan(args.events_per_s, args.leads_per_s, args.users)
    if args.processes is None:
        args.processes = (os.cpu_count() or 3) - 2 if client_cpus else 1
    limits = report.Thresholds(args.events_per_s, args.leads_per_s, args.p99_track_ms, args.p99_lead_ms)
    print(
        f"target {args.events_per_s:,.0f} events/s + {args.leads_per_s:g} leads/s for {args.duration} s "
        f"(ramp {args.ramp} s): {plan.users} visitors, one visit each per {plan.pacing_s:.1f} s, "
        f"{plan.lead_share:.1%} of visits leave a lead\n"
        f"server + ClickHouse CPUs: {server_cpus or 'all'}   locust CPUs: {client_cpus or 'shared'}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="eslamed-loadtest-"))
    stack = Stack.start_clickhouse(workdir, server_cpus)
    server: ServerProcess | None = None
    try:
        server = stack.server("server", workers=args.workers)
        present = probe(server)
        classes = ["Visitor"] + (["Admin"] if present["admin"] else [])
        skipped = [
            name
            for name, ok in (("/api/lead", present["lead"]), ("/api/admin/stats", present["admin"]))
            if not ok
        ]
        if skipped:
            print(f"NOT IN THIS BUILD, not exercised: {', '.join(skipped)}", flush=True)
        env = {
            **os.environ,
            "LT_ACK_DIR": str(acks),
            "LT_PACING_S": f"{plan.pacing_s:.4f}",
            "LT_LEAD_SHARE": f"{plan.lead_share if present['lead'] else 0:.5f}",
            "LT_ADMIN_SECRET": ADMIN_SECRET,
            "PYTHONPATH": str(REPO),
        }
        cpu_before = (server_cpu_ms(server), stack.clickhouse_cpu_ms())
        begin = time.monotonic()
        outage: dict = {}
        stop = threading.Event()
        breaker = None
        if args.break_clickhouse:
            breaker = threading.Thread(
                target=break_clickhouse,
                args=(stack, server, args.ramp + args.duration / 2, outage, stop),
                daemon=True,
            )
            breaker.start()
        hold_start: dict[str, float] = {}
        timer = threading.Timer(
            args.ramp, lambda: hold_start.update(spool_state(server), at=time.monotonic(), wall=time.time())
        )
        timer.start()
        log = (out / "locust.log").open("w")
        locust = subprocess.run(
            locust_command(args, server, plan, out, classes, client_cpus),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        load_end = spool_state(server)
        load_s = time.monotonic() - begin
        held_s = time.monotonic() - hold_start["at"] if hold_start else load_s
        stop.set()
        timer.cancel()
        if args.break_clickhouse and "stopped_at" in outage:
            outage.update(load_end, down_s=time.monotonic() - outage["stopped_at"])
            del outage["stopped_at"]
            del outage["accepted"]
            print(
                f"load over; {outage['pending_events']:,} events in the spool; starting ClickHouse",
                flush=True,
            )
            stack.restart_clickhouse()

        events_acked, leads_acked = set(read_acks(acks, "events")), read_acks(acks, "leads")
        held_from = hold_start.get("wall", 0.0)
        lead_rate = sum(1 for when in leads_acked.values() if when >= held_from) / held_s
        flush_s = wait_flushed(stack, server, events_acked, set(leads_acked), args.flush_timeout)
        cpu_server = server_cpu_ms(server) - cpu_before[0]
        cpu_clickhouse = stack.clickhouse_cpu_ms() - cpu_before[1] if not args.break_clickhouse else None
        events_stored, event_rows = stored_ids(stack, "events", "event_id")
        leads_stored, lead_rows = stored_ids(stack, "leads", "lead_id", final=True)
        if not (out / "locust_stats.csv").exists():
            tail = (out / "locust.log").read_text(errors="replace")[-3000:]
            print(f"locust did not run (exit {locust.returncode}):\n{tail}", file=sys.stderr)
            return 2
        stats = report.read_locust_stats(out / "locust_stats.csv")
        held_events = load_end["accepted"] - hold_start.get("accepted", 0)
        summary = {
            "started_at": started_at.isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
            "target": {
                "events_per_s": args.events_per_s,
                "leads_per_s": args.leads_per_s,
                "duration_s": args.duration,
                "ramp_s": args.ramp,
            },
            "plan": asdict(plan),
            "server_cpus": server_cpus,
            "locust_cpus": client_cpus,
            "not_exercised": skipped,
            "locust_exit_code": locust.returncode,
            "load_s": round(load_s, 1),
            "flush_wait_s": round(flush_s, 1),
            "events_per_s": held_events / held_s,
            "leads_per_s": lead_rate,
            "endpoints": {name: vars(s) for name, s in stats.items()},
            "reconciled": {
                "events": report.reconcile(events_acked, events_stored, event_rows),
                "leads": report.reconcile(set(leads_acked), leads_stored, lead_rows),
            },
            "cpu_ms_per_1000_events": {
                "gunicorn": cpu_server * 1000 / max(len(events_acked), 1),
                "clickhouse": cpu_clickhouse * 1000 / max(len(events_acked), 1)
                if cpu_clickhouse is not None
                else None,
            },
            "outage": outage or None,
        }
        cpu = summary["cpu_ms_per_1000_events"]
        summary["cpx11_projected_events_per_s"] = (
            report.cpx11_events_per_s(cpu["gunicorn"] + cpu["clickhouse"]) if cpu["clickhouse"] else None
        )
        failures = report.missed(summary, limits)
        summary["passed"] = not failures
        summary["missed"] = failures
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        print(report.table(summary, limits))
        print(f"report: {out}/ (summary.json, locust.html, locust_stats.csv)")
        return 0 if not failures else 1
    finally:
        if server is not None:
            stop_server(server)
        stack.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
