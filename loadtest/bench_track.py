"""/api/track benchmark: the full capture pipeline between a bare Flask endpoint and the raw-WSGI
ceiling, same run.

Starts a ClickHouse and three servers under the production gunicorn settings (2 gevent workers,
pinned with taskset): the real one, loadtest/baseline_app.py's bare Flask view, and its raw WSGI
callable (the most a Python WSGI app can do in this gunicorn here). wrk drives each with the same
realistic bodies (loadtest/track.lua) in alternating rounds; medians are reported. Sent and
acknowledged events are reconciled against ClickHouse (count() and uniqExact(event_id)).
Before every round ClickHouse is left to finish its merges, so no round pays for another's.

ClickHouse keeps its data in /dev/shm by default, as the rings do: every insert is a new part
of ~70 files, and on a disk where millions of files were created and deleted (this development
box, after many test runs) ext4's inode allocation was 45% of ClickHouse's CPU in a perf
profile, which measures the disk's history rather than this code. `--clickhouse-on-disk` keeps
the data on disk instead; the README quotes both.

    PYTHONPATH=$PWD .venv/bin/python -m loadtest.bench_track              # ~3 minutes
    PYTHONPATH=$PWD .venv/bin/python -m loadtest.bench_track --rounds 5 --duration 60
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from eslamed.devtools.paths import REPO
from eslamed.devtools.server_process import ServerProcess
from loadtest import profile
from loadtest.stack import (
    Stack,
    prometheus_values,
    server_cpu_ms,
    split_cpus,
    spool_dir,
    stop_server,
    wait_stored,
)

LUA = Path(__file__).with_name("track.lua")
RESULTS = REPO / "loadtest" / "results"
# The benchmark posts from a handful of addresses, far above a visitor's limit by design.
BENCH_ENV = {"TRACK_RATE_LIMIT": "100000000/minute"}


def run_wrk(
    url: str, seconds: int, connections: int, threads: int, batch_share: float, cpus: str | None, run: str
) -> dict:
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), f"{url}/api/track",
    ]  # fmt: skip
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    env = {**os.environ, "LT_RUN": run, "LT_BATCH_SHARE": str(batch_share)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("LT_JSON "):
            return json.loads(line.removeprefix("LT_JSON "))
    raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")


FLUSH_METRICS = ("eslamed_flush_seconds_count", "eslamed_events_flushed_total", "eslamed_spilled_total")


def flush_counters(server: ServerProcess, storing: bool) -> dict[str, float]:
    if not storing:
        return {}
    values = prometheus_values(server.url)
    return {name: values.get(name, 0.0) for name in FLUSH_METRICS}


def drive(
    server: ServerProcess, args: argparse.Namespace, client_cpus: str | None, run: str, storing: bool = False
) -> dict:
    """One round of wrk against one server. For the storing servers, the round's inserts are
    read from /metrics: rows per ClickHouse insert drives ClickHouse's share of the CPU."""
    flushed = flush_counters(server, storing)
    before = server_cpu_ms(server)
    wrk = run_wrk(
        server.url, args.duration, args.connections, args.threads, args.batch_share, client_cpus, run
    )
    cpu = server_cpu_ms(server) - before
    after = flush_counters(server, storing)
    inserts, rows, spilled = (after[k] - flushed[k] for k in FLUSH_METRICS) if storing else (0, 0, 0)
    seconds = wrk["duration_us"] / 1e6
    return {
        "rows_per_insert": rows / inserts if inserts else None,
        "spilled": spilled if storing else None,
        "events_per_s": wrk["accepted"] / seconds,
        "requests_per_s": wrk["requests"] / seconds,
        "p50_ms": wrk["p50_us"] / 1000,
        "p99_ms": wrk["p99_us"] / 1000,
        "events": wrk["accepted"],
        "sent": wrk["sent"],
        "requests": wrk["requests"],
        "non_202": wrk["rejected"],
        "socket_errors": wrk["errors"],
        "server_cpu_ms": cpu,
        "cpu_ms_per_1000_events": cpu * 1000 / wrk["accepted"] if wrk["accepted"] else None,
    }


def reconcile(acknowledged: int, sent: int, count: int, unique: int) -> dict:
    """wrk does not read the replies still in flight when it stops, so the stored events must lie
    between those acknowledged and those sent, each exactly once (count() == uniqExact)."""
    return {
        "sent": sent,
        "acknowledged": acknowledged,
        "count": count,
        "unique": unique,
        "duplicates": count - unique,
        "in_flight_at_stop": sent - acknowledged,
        "ok": count == unique and acknowledged <= unique <= sent,
    }


def median(rounds: list[dict], key: str) -> float | None:
    values = [r[key] for r in rounds if r.get(key) is not None]
    return statistics.median(values) if values else None


KEYS = ("events_per_s", "requests_per_s", "p50_ms", "p99_ms", "cpu_ms_per_1000_events", "rows_per_insert")
LABELS = {"pipeline": "pipeline", "baseline": "bare Flask", "ceiling": "raw WSGI", "compare": "--compare"}


def summarise(results: dict[str, list[dict]]) -> dict:
    """Medians per server, and same-round ratios of the pipeline against the others."""
    summary: dict = {name: {k: median(rounds, k) for k in KEYS} for name, rounds in results.items()}
    for other in results.keys() - {"pipeline"}:
        ratios = [
            p["events_per_s"] / o["events_per_s"]
            for p, o in zip(results["pipeline"], results[other], strict=True)
        ]
        summary[f"ratio_vs_{other}"] = {"median": statistics.median(ratios), "rounds": ratios}
        # on a shared machine throughput follows the neighbours; CPU per event follows the code
        summary[f"cpu_ratio_vs_{other}"] = (
            summary[other]["cpu_ms_per_1000_events"] / summary["pipeline"]["cpu_ms_per_1000_events"]
        )
    if {"baseline", "ceiling"} <= results.keys():
        # 0: as fast as bare Flask, 1: as fast as a framework-free WSGI app that does nothing
        flask, raw = summary["baseline"]["events_per_s"], summary["ceiling"]["events_per_s"]
        summary["position_flask_to_ceiling"] = (summary["pipeline"]["events_per_s"] - flask) / (raw - flask)
    return summary


def round_line(round_no: int, name: str, r: dict) -> str:
    inserts = f"  {r['rows_per_insert']:,.0f} rows/insert" if r["rows_per_insert"] else ""
    return (
        f"round {round_no + 1} {LABELS[name]:10} {r['events_per_s']:>8,.0f} events/s "
        f"{r['requests_per_s']:>7,.0f} req/s  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
        f"{r['cpu_ms_per_1000_events']:.0f} CPU-ms/1k{inserts}"
    )


def print_table(summary: dict, names: list[str], reconciled: dict, clickhouse_ms: float | None) -> None:
    rows = [
        ("events/s", "events_per_s", "{:,.0f}"),
        ("requests/s", "requests_per_s", "{:,.0f}"),
        ("p50 latency ms", "p50_ms", "{:.1f}"),
        ("p99 latency ms", "p99_ms", "{:.1f}"),
        ("server CPU-ms / 1,000 events", "cpu_ms_per_1000_events", "{:.0f}"),
        ("rows per ClickHouse insert", "rows_per_insert", "{:,.0f}"),
    ]
    print(f"\n{'median of rounds':32}" + "".join(f" {LABELS[n]:>12}" for n in names))
    for label, key, fmt in rows:
        cells = (summary[n][key] for n in names)
        print(f"{label:32}" + "".join(f" {'-' if v is None else fmt.format(v):>12}" for v in cells))
    if clickhouse_ms is not None:
        label = "ClickHouse CPU-ms / 1,000 events"
        print(f"{label:32} {clickhouse_ms:>12.0f}   (its inserts and the merges after them)")
    for other in names[1:]:
        ratio = summary[f"ratio_vs_{other}"]
        rounds = ", ".join(f"{r:.2f}" for r in ratio["rounds"])
        label = f"ratio pipeline / {LABELS[other]}"
        print(f"{label:32} {ratio['median']:>12.2f}   (events/s; rounds: {rounds})")
        cpu_ratio = summary[f"cpu_ratio_vs_{other}"]
        print(f"{'':32} {cpu_ratio:>12.2f}   (CPU-ms per event, {LABELS[other]} / pipeline)")
    if "position_flask_to_ceiling" in summary:
        print(
            f"{'position bare Flask -> raw WSGI':32} {summary['position_flask_to_ceiling']:>12.2f}"
            "   (0 = bare Flask, 1 = the raw-WSGI ceiling; medians)"
        )
    print(
        f"rows reconciled: acknowledged {reconciled['acknowledged']:,} <= stored uniqExact(event_id) "
        f"{reconciled['unique']:,} (count() {reconciled['count']:,}) <= sent {reconciled['sent']:,} "
        f"(in flight when wrk stopped: {reconciled['in_flight_at_stop']:,})"
        f" -> {'OK' if reconciled['ok'] else 'MISMATCH'}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the order of servers rotates")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server per round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (every server)")
    parser.add_argument("--batch-share", type=float, default=0.5, help="share of batched requests")
    parser.add_argument("--server-cpus", help="taskset list for servers and ClickHouse ('none': no pinning)")
    parser.add_argument(
        "--compare", type=Path, help="another checkout (e.g. before a change) as a 3rd server"
    )
    parser.add_argument("--profile", action="store_true", help="one extra pipeline round under py-spy")
    parser.add_argument(
        "--clickhouse-on-disk",
        action="store_true",
        help="keep ClickHouse's data in the work dir on disk instead of in /dev/shm (see the module doc)",
    )
    parser.add_argument(
        "--spool-shm",
        action="store_true",
        help="the rings' spool in /dev/shm (default: on disk, as deployed)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_track.json")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.stderr.write("wrk not found (apt-get install wrk)\n")
        return 2

    server_cpus, client_cpus = split_cpus(args.server_cpus)
    print(f"server CPUs: {server_cpus or 'all'}   wrk CPUs: {client_cpus or 'shared with the server'}")
    workdir = Path(tempfile.mkdtemp(prefix="eslamed-bench-"))
    clickhouse_root = None if args.clickhouse_on_disk else spool_dir("clickhouse")
    print(f"ClickHouse data: {clickhouse_root or 'on disk, in ' + str(workdir)}")
    stack = Stack.start_clickhouse(workdir, server_cpus, clickhouse_root)
    stack.spool_shm = args.spool_shm
    print(f"ring spool: {'/dev/shm' if args.spool_shm else 'on disk, in ' + str(workdir)}")
    servers: dict[str, ServerProcess] = {}
    try:
        servers["pipeline"] = stack.server("pipeline", workers=args.workers, **BENCH_ENV)
        servers["baseline"] = stack.server(
            "baseline", app="loadtest.baseline_app:app", workers=args.workers, **BENCH_ENV
        )
        servers["ceiling"] = stack.server(
            "ceiling", app="loadtest.baseline_app:ceiling", workers=args.workers, **BENCH_ENV
        )
        if args.compare:
            servers["compare"] = stack.server("compare", workers=args.workers, repo=args.compare, **BENCH_ENV)
        names = list(servers)
        storing = {"pipeline", "compare"}
        run_id = f"{int(time.time()) & 0xFFFFFF:06x}"
        acknowledged = sent = 0
        warm = argparse.Namespace(**{**vars(args), "duration": 2})
        for index, name in enumerate(names):
            result = drive(servers[name], warm, client_cpus, f"{run_id}f{index}")
            if name in storing:
                acknowledged, sent = acknowledged + result["events"], sent + result["sent"]

        results: dict[str, list[dict]] = {name: [] for name in names}
        clickhouse_ms: list[float] = []
        for round_no in range(args.rounds):
            shift = round_no % len(names)
            for index, name in enumerate(names[shift:] + names[:shift]):
                stack.settle()
                ch_before = stack.clickhouse_cpu_ms()
                result = drive(
                    servers[name], args, client_cpus, f"{run_id}{round_no:01x}{index}", name in storing
                )
                if name in storing:
                    acknowledged += result["events"]
                    sent += result["sent"]
                    _, _, result["flush_wait_s"] = wait_stored(stack.store, acknowledged, 60)
                if name == "pipeline":
                    # the round's inserts and the merges they caused, finished or not by the round's end
                    result["settle_s"] = stack.settle()
                    clickhouse_ms.append((stack.clickhouse_cpu_ms() - ch_before) * 1000 / result["events"])
                results[name].append(result)
                print(round_line(round_no, name, result), flush=True)

        count, unique, _ = wait_stored(stack.store, acknowledged, 60)
        reconciled = reconcile(acknowledged, sent, count, unique)
        summary = summarise(results)
        profile_top = None
        if args.profile:
            pipeline = servers["pipeline"]
            profile_top = profile.record_round(
                pipeline, lambda: drive(pipeline, args, client_cpus, f"{run_id}ff"), workdir
            )
        report = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
            "settings": {k: str(v) for k, v in vars(args).items()},
            "server_cpus": server_cpus,
            "client_cpus": client_cpus,
            "summary": summary,
            "clickhouse_cpu_ms_per_1000_events": statistics.median(clickhouse_ms) if clickhouse_ms else None,
            "reconciled": reconciled,
            "rounds": results,
            "profile_top": profile_top,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
        print_table(summary, names, reconciled, report["clickhouse_cpu_ms_per_1000_events"])
        if profile_top:
            print(profile.format_top(profile_top))
        print(f"written to {args.out}")
        return 0 if reconciled["ok"] else 1
    finally:
        for server in servers.values():
            stop_server(server)
        stack.close()
        shutil.rmtree(workdir, ignore_errors=True)
        if clickhouse_root:
            shutil.rmtree(clickhouse_root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
