"""Faults on the capture path, for real: kill -9, ClickHouse down, ring overflow, bad configuration."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from dotenv import dotenv_values

from eslamed.core.config import parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.ingest.event_sink import EventSink, encode
from eslamed.ingest.pipeline import make_context, run
from eslamed.ingest.validate import validate_track_body
from eslamed.ring.buffer import BufferLayout, claim
from eslamed.ring.flusher import drain
from tests.conftest import migrated_store
from tests.support.clients import BROWSER_UA, dumps, new_event, post_raw
from tests.support.paths import GEOIP_BROKEN, REPO
from tests.support.polling import wait_for
from tests.support.server import base_env
from tests.test_capture_server import counts, metric

HOLD = {"FLUSH_INTERVAL_S": "3600", "FLUSH_BATCH_SIZE": "1000000"}
ENV_EXAMPLE = dotenv_values(REPO / "ops" / "env.example")


def post_batches(url: str, batches: int, size: int) -> list[str]:
    ids = []
    for _ in range(batches):
        events = [new_event() for _ in range(size)]
        status, _, reply = post_raw(url, "/api/track", dumps({"events": events}))
        assert status == 202, reply
        ids += [e["event_id"] for e in events]
    return ids


def test_kill_9_of_workers_holding_unflushed_events_loses_nothing(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=2, **HOLD)
    sent = post_batches(server.url, batches=60, size=10)
    time.sleep(0.5)
    assert counts(store)[0] == 0, "flushing is held back, so only recovery can deliver these"
    for pid in server.worker_pids():
        server.kill_worker(pid)
    assert wait_for(lambda: counts(store)[0] >= len(sent), timeout_s=30)
    server.wait_ready()
    assert counts(store) == (len(sent), len(sent))
    assert post_raw(server.url, "/api/track", dumps(new_event()))[0] == 202


def test_batch_in_flight_when_its_owner_died_is_checked_by_id_before_resending(tmp_path: Path, store) -> None:
    """The dead worker's insert reached ClickHouse but it died before committing the ring."""
    layout = BufferLayout(tmp_path / "ring", tmp_path / "spill", 1 << 20, 1 << 20, 1 << 24)
    sink = EventSink(store)
    ctx = make_context("81.2.69.142", BROWSER_UA, None, frozenset())
    events = [run(e, ctx) for e in validate_track_body(dumps({"events": [new_event() for _ in range(40)]}))]
    dead = claim(layout)
    dead.append([encode(event) for event in events[:30]])
    batch = dead.slot.peek(100)
    dead.slot.mark_inflight(batch)
    assert sink(batch.payloads, False) == 30
    dead.append([encode(event) for event in events[30:]])
    dead.close()

    heir = claim(layout)
    assert heir.index == dead.index
    assert drain(heir, sink, batch_size=1000) == 10
    assert counts(store) == (40, 40)
    assert not heir.pending()
    heir.close()


def test_clickhouse_down_30s_while_events_arrive_then_everything_lands(own_clickhouse, make_server) -> None:
    store = migrated_store(own_clickhouse)
    server = make_server(own_clickhouse, store, workers=2)
    sent: list[str] = []
    stop = threading.Event()

    def keep_sending() -> None:
        while not stop.is_set():
            sent.extend(post_batches(server.url, batches=1, size=5))
            time.sleep(0.05)

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        time.sleep(1)
        own_clickhouse.stop()
        down_at = time.monotonic()
        assert wait_for(
            lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 503, timeout_s=10
        )
        outage = requests.get(f"{server.url}/readyz", timeout=5).json()
        assert outage["clickhouse"] == "down" and outage["ready"] is False
        time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
        own_clickhouse.start()
        time.sleep(1)
    finally:
        stop.set()
        sender.join()
    assert len(sent) > 500
    assert wait_for(lambda: counts(store)[0] >= len(sent), timeout_s=30)
    assert counts(store) == (len(sent), len(sent))
    assert wait_for(lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 200)


def test_small_ring_overflows_to_disk_spill_and_loses_nothing(
    own_clickhouse, make_server, tmp_path: Path
) -> None:
    store = migrated_store(own_clickhouse)
    server = make_server(
        own_clickhouse, store, workers=1, RING_CAPACITY_BYTES="8192", SPILL_SEGMENT_BYTES="16384"
    )
    own_clickhouse.stop()
    sent = post_batches(server.url, batches=40, size=10)
    assert metric(server.url, "eslamed_spilled_total") > 300
    assert metric(server.url, "eslamed_spill_bytes") > 0
    segments = list((tmp_path / "data" / "spill").glob("slot-*/seg-*.log"))
    assert len(segments) > 1
    own_clickhouse.start()
    assert wait_for(lambda: counts(store)[0] >= len(sent), timeout_s=30)
    assert counts(store) == (len(sent), len(sent))
    assert wait_for(lambda: not list((tmp_path / "data" / "spill").glob("slot-*/seg-*.log")))


def test_full_ring_and_full_spill_answer_503_with_retry_after(own_clickhouse, make_server) -> None:
    store = migrated_store(own_clickhouse)
    server = make_server(own_clickhouse, store, workers=1, RING_CAPACITY_BYTES="4096", SPILL_MAX_BYTES="8192")
    own_clickhouse.stop()
    statuses = []
    for _ in range(60):
        status, headers, _ = post_raw(
            server.url, "/api/track", dumps({"events": [new_event() for _ in range(5)]})
        )
        statuses.append(status)
        if status == 503:
            assert headers["Retry-After"] == "5"
    assert 202 in statuses and 503 in statuses
    assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 503


def test_sigterm_drains_the_ring_before_the_worker_exits(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=2, **HOLD)
    sent = post_batches(server.url, batches=20, size=10)
    assert counts(store)[0] == 0
    assert server.stop() == 0
    assert counts(store) == (len(sent), len(sent))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"GEOIP_CITY_DB": str(GEOIP_BROKEN)}, "GEOIP_CITY_DB: "),
        ({"GEOIP_CITY_DB": "/nonexistent/City.mmdb"}, "GEOIP_CITY_DB: file not found"),
        ({"CLICKHOUSE_URL": ""}, "CLICKHOUSE_URL is required"),
        ({"CLICKHOUSE_URL": "mysql://x"}, "CLICKHOUSE_URL must look like"),
        ({"ADMIN_SECRET": ""}, "ADMIN_SECRET is required"),
        ({"ESLAMED_ENV": "production", "ADMIN_SECRET": "short"}, "ADMIN_SECRET must be at least 24"),
        (
            {"ESLAMED_ENV": "production", "ADMIN_SECRET": ENV_EXAMPLE["ADMIN_SECRET"]},
            "ADMIN_SECRET contains the placeholder text 'change-me'",
        ),
        (
            {"ESLAMED_ENV": "production", "ADMIN_SECRET": "ab" * 16},
            "ADMIN_SECRET has fewer than 10 different characters",
        ),
        (
            {
                "ESLAMED_ENV": "production",
                "ADMIN_SECRET": "9f2c4e7a1b8d3f6e0a5c2b9d7e4f1a3c",
                "METRICS_TOKEN": "0123456789abcdef-example-token",
            },
            "METRICS_TOKEN contains the placeholder text 'example'",
        ),
        (
            {
                "ESLAMED_ENV": "production",
                "ADMIN_SECRET": "9f2c4e7a1b8d3f6e0a5c2b9d7e4f1a3c",
                "CLICKHOUSE_URL": f"clickhouse://eslamed:{ENV_EXAMPLE['CLICKHOUSE_PASSWORD']}@127.0.0.1:1/x",
            },
            "CLICKHOUSE_URL password contains the placeholder text 'change-me'",
        ),
        ({"CLOUDFLARE_PROXIES": "cloudflare"}, "CLOUDFLARE_PROXIES: 'cloudflare'"),
        ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES: '10.0.0.0/33'"),
        ({"FLUSH_INTERVAL_S": "soon"}, "FLUSH_INTERVAL_S: 'soon' is not a number"),
        (
            {"EVENTS_DURABILITY": "host", "SPOOL_DIR": "/dev/shm/eslamed-durability-test"},
            "EVENTS_DURABILITY=host: SPOOL_DIR /dev/shm/eslamed-durability-test is on tmpfs",
        ),
        ({"EVENTS_DURABILITY": "disk"}, "EVENTS_DURABILITY: 'disk' must be process or host"),
    ],
)
def test_bad_configuration_stops_the_server_with_one_clear_line(tmp_path: Path, override, message) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        **base_env("clickhouse://default:@127.0.0.1:1", "x", tmp_path),
        **override,
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"), "eslamed.wsgi:app"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("eslamed: configuration error")]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_migrate_is_idempotent(clickhouse) -> None:
    store = Store(parse_clickhouse_url(f"{clickhouse.url}/t_migrate_twice"))
    first, second = store.migrate(), store.migrate()
    assert first == second
    tables = {r[0] for r in store.query("SHOW TABLES FROM t_migrate_twice")}
    assert {"events", "leads", "conversions"} <= tables
