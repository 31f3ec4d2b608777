"""Lead latency at a steady arrival rate with every notification channel on.

Starts its own ClickHouse (temp dir), the real server (gunicorn, gevent workers), and local
Telegram / WhatsApp / Web Push peers; then posts form leads open-loop at --rate per second
for --duration seconds and reports p50/p99 of the POST /api/lead reply and of the time until
Telegram received the owner's message, matched by the lead's id in the message's admin link
(phones are shown in national form, so a phone match would find nothing). A run that measured no
notification exits non-zero. Figures go to stdout and loadtest/results/.

    PYTHONPATH=$PWD .venv/bin/python loadtest/bench_lead.py            # 20 leads/s for 20 s
    PYTHONPATH=$PWD .venv/bin/python loadtest/bench_lead.py --rate 50 --duration 60
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

from eslamed.devtools.clickhouse_server import LocalClickHouse
from tests.conftest import migrated_store
from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.peers import Peer, PushDevice, telegram_peer, vapid_private_key, whatsapp_peer
from tests.support.server import METRICS_AUTH, ServerProcess, base_env

RESULTS = Path(__file__).resolve().parent / "results"
PUBLIC_BASE_URL = "https://admin.bench.example"
LEAD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ADMIN = {"X-Admin-Secret": "test-admin-secret-0123456789abcdef"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def server_side_ms(metrics_text: str, q: float) -> float:
    """Upper bound of the eslamed_lead_seconds bucket holding quantile q (what the workers measured)."""
    buckets = []
    for line in metrics_text.splitlines():
        if line.startswith("eslamed_lead_seconds_bucket{"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= q * total:
            return bound * 1000
    return float("nan")


def run(rate: float, duration_s: float, workers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-lead-"))
    clickhouse = LocalClickHouse(work / "clickhouse")
    clickhouse.start()
    store = migrated_store(clickhouse)
    telegram, whatsapp, push = telegram_peer().start(), whatsapp_peer().start(), Peer(201, b"").start()
    device = PushDevice(f"{push.url}/push/bench")
    env = base_env(clickhouse.url, store.database, work)
    env.update(lead_env(telegram, whatsapp, vapid_private_key()))
    env.update(
        LEAD_RATE_LIMIT="1000000/minute",
        NOTIFY_SWEEP_S="2",
        CLICKHOUSE_TIMEOUT_S="2",
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,  # the message links the lead: what a delivery is matched by
    )
    server = ServerProcess(env, work, workers=workers).start()
    try:
        requests.post(
            f"{server.url}/api/admin/push/subscribe", json=device.subscription, headers=ADMIN, timeout=5
        )
        total = int(rate * duration_s)
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        codes: dict[int, int] = {}
        lock = threading.Lock()

        def one(i: int, due: float) -> None:
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            lead = form_lead(phone=f"+90532{i:07d}")
            started = time.monotonic()
            sent_at[lead["lead_id"]] = time.time()
            code = post_lead(server.url, lead).status_code
            elapsed = time.monotonic() - started
            with lock:
                latencies.append(elapsed)
                codes[code] = codes.get(code, 0) + 1

        print(
            f"posting {total} leads at {rate:g}/s for {duration_s:g}s against {workers} workers ...",
            flush=True,
        )
        start = time.monotonic() + 0.5
        with ThreadPoolExecutor(64) as pool:
            for i in range(total):
                pool.submit(one, i, start + i / rate)
        accepted = codes.get(201, 0) + codes.get(202, 0)
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and min(len(telegram.delivered()), len(whatsapp.delivered()), len(push.delivered())) < accepted
        ):
            time.sleep(0.2)
        notify_delays = []
        for request in telegram.delivered():
            link = request.json()["text"].rsplit(PUBLIC_BASE_URL, 1)[-1]
            found = LEAD_ID.search(link)
            if found and found.group(0) in sent_at:
                notify_delays.append(request.received_at - sent_at[found.group(0)])
        metrics_text = requests.get(f"{server.url}/metrics", headers=METRICS_AUTH, timeout=10).text
        kept = codes.get(201, 0) + codes.get(202, 0)  # 202: journaled, stored once ClickHouse keeps up
        deadline = time.monotonic() + 60
        while (stored := store.query(f"SELECT uniqExact(lead_id) FROM {store.database}.leads")[0][0]) < kept:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "rate_per_s": rate,
            "duration_s": duration_s,
            "workers": workers,
            "posted": total,
            "status_codes": codes,
            "stored_in_clickhouse": stored,
            "lead_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "lead_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "lead_max_ms": round(max(latencies) * 1000, 1),
            "lead_mean_ms": round(statistics.fmean(latencies) * 1000, 1),
            "server_p50_ms_at_most": server_side_ms(metrics_text, 0.50),
            "server_p99_ms_at_most": server_side_ms(metrics_text, 0.99),
            "telegram_delivered": len(telegram.delivered()),
            "whatsapp_delivered": len(whatsapp.delivered()),
            "webpush_delivered": len(push.delivered()),
            "notify_matched": len(notify_delays),
            "notify_p50_ms": round(percentile(notify_delays, 0.50) * 1000, 1),
            "notify_p99_ms": round(percentile(notify_delays, 0.99) * 1000, 1),
        }
    finally:
        server.stop()
        for peer in (telegram, whatsapp, push):
            peer.stop()
        store.close()
        clickhouse.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="leads per second (default 20)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args(argv)
    result = run(args.rate, args.duration, args.workers)
    line = (
        f"lead: {result['rate_per_s']:g} leads/s for {result['duration_s']:g}s, notifications on "
        f"(telegram+whatsapp+webpush): p50 {result['lead_p50_ms']} ms, p99 {result['lead_p99_ms']} ms "
        f"(server-side histogram: p50 <= {result['server_p50_ms_at_most']:g} ms, "
        f"p99 <= {result['server_p99_ms_at_most']:g} ms); "
        f"owner notified (telegram) p50 {result['notify_p50_ms']} ms, p99 {result['notify_p99_ms']} ms; "
        f"codes {result['status_codes']}, stored {result['stored_in_clickhouse']}"
    )
    print(line)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_lead-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.txt"
    out.write_text(line + "\n" + json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")
    ok = result["stored_in_clickhouse"] == result["posted"] == result["telegram_delivered"]
    if result["notify_matched"] != result["telegram_delivered"]:
        print(
            f"notification latency measured for {result['notify_matched']} of "
            f"{result['telegram_delivered']} Telegram messages: the benchmark measured nothing true",
            file=sys.stderr,
        )
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
