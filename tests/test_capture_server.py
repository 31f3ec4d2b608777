"""/api/track against the real server (gunicorn + gevent workers) and a real ClickHouse."""

from __future__ import annotations

import concurrent.futures
import re

import orjson
import requests

from eslamed.core.sql import events as sql
from eslamed.core.store import Store
from tests.support.clients import BROWSER_UA, HEADERS, dumps, new_event, post_raw
from tests.support.polling import wait_for
from tests.support.server import METRICS_AUTH

GOOD = dumps(new_event())


def counts(store: Store) -> tuple[int, int]:
    return store.query(sql.COUNT.format(db=store.database))[0]


def metric(server_url: str, name: str) -> float:
    text = requests.get(f"{server_url}/metrics", headers=METRICS_AUTH, timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_ten_thousand_events_single_and_batched_are_stored_exactly_once(
    clickhouse, store, make_server
) -> None:
    server = make_server(clickhouse, store, workers=2)
    singles = [[new_event()] for _ in range(2000)]
    batches = [[new_event("click") for _ in range(50)] for _ in range(160)]

    def send(events: list[dict]) -> int:
        body = {"events": events} if len(events) > 1 else events[0]
        status, _, reply = post_raw(server.url, "/api/track", dumps(body))
        assert status == 202, reply
        return len(events)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        sent = sum(pool.map(send, singles + batches))
    assert sent == 10_000
    assert wait_for(lambda: counts(store)[0] >= 10_000, timeout_s=30)
    assert counts(store) == (10_000, 10_000)
    pids = {int(line.split()[-1]) for line in server.log().splitlines() if "Booting worker" in line}
    assert len(pids) == 2


def test_trusted_proxy_header_gives_london_and_untrusted_is_ignored(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1)
    trusted, untrusted = new_event(), new_event()
    xff = {"X-Forwarded-For": "81.2.69.142"}
    assert post_raw(server.url, "/api/track", dumps(trusted), xff, source_ip="127.0.0.2")[0] == 202
    assert post_raw(server.url, "/api/track", dumps(untrusted), xff, source_ip="127.0.0.1")[0] == 202
    assert wait_for(lambda: counts(store)[0] == 2)
    rows = dict(
        store.query(
            f"SELECT toString(event_id), concat(country, '/', subdivision, '/', city) FROM {store.database}.events"
        )
    )
    assert rows[trusted["event_id"]] == "GB/England/London"
    assert rows[untrusted["event_id"]] == "//"


BAD_INPUTS = [
    ("malformed JSON", b'{"type": "pageview",', {}, 400, ""),
    ("wrong type", dumps({"type": "pageview", "url": 12}), {}, 400, "url"),
    ("unknown type", dumps({"type": "purchase"}), {}, 400, "type"),
    ("10 KB URL", dumps({"type": "pageview", "url": "/" + "u" * 10_000}), {}, 400, "url"),
    ("1 MB body", b"{" + b" " * (1024 * 1024) + b"}", {}, 413, ""),
    ("invalid UTF-8", b'{"type": "pageview", "title": "\xc3\x28"}', {}, 400, ""),
    ("NaN", b'{"type": "pageview", "ts": NaN}', {}, 400, ""),
    ("deeply nested", b'{"type": "pageview", "props": ' + b"[" * 3000 + b"]" * 3000 + b"}", {}, 400, ""),
    ("51 events", dumps({"events": [new_event() for _ in range(51)]}), {}, 400, "events"),
    ("form content type", GOOD, {"Content-Type": "application/x-www-form-urlencoded"}, 415, ""),
]


def test_bad_input_table_gets_the_documented_4xx_and_the_server_keeps_serving(
    clickhouse, store, make_server
) -> None:
    server = make_server(clickhouse, store, workers=1)
    for name, body, headers, status, field in BAD_INPUTS:
        got, _, reply = post_raw(server.url, "/api/track", body, headers)
        assert got == status, (name, reply)
        error = orjson.loads(reply)
        assert error["error"], name
        assert error.get("field", "") == field, (name, error)
        assert post_raw(server.url, "/api/track", dumps(new_event()))[0] == 202, name
    assert wait_for(lambda: counts(store)[0] == len(BAD_INPUTS))
    assert metric(server.url, 'eslamed_requests_rejected_total{endpoint="track",reason="invalid"}') == 8


def test_sendbeacon_text_plain_cors_preflight_and_bots(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1)
    origin = "https://eslamed.example"
    preflight = requests.options(
        f"{server.url}/api/track",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "User-Agent": BROWSER_UA},
        timeout=5,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    foreign = requests.options(
        f"{server.url}/api/track", headers={"Origin": "https://evil.example"}, timeout=5
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers

    status, headers, _ = post_raw(
        server.url,
        "/api/track",
        dumps(new_event()),
        {"Content-Type": "text/plain;charset=UTF-8", "Origin": origin},
    )
    assert status == 202 and headers["Access-Control-Allow-Origin"] == origin
    status, _, reply = post_raw(server.url, "/api/track", dumps(new_event()), {"User-Agent": "Googlebot/2.1"})
    assert status == 202 and b'"dropped":1' in reply
    assert wait_for(lambda: counts(store)[0] == 1)
    assert metric(server.url, 'eslamed_events_dropped_total{reason="bot"}') == 1


def test_rate_limit_holds_across_workers(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=2, TRACK_RATE_LIMIT="30/minute")
    statuses = [post_raw(server.url, "/api/track", dumps(new_event()))[0] for _ in range(45)]
    assert statuses.count(202) == 30
    assert statuses.count(429) == 15


def test_metrics_and_health_endpoints(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=2)
    for _ in range(10):
        post_raw(server.url, "/api/track", dumps(new_event()))
    assert wait_for(lambda: counts(store)[0] == 10)
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{server.url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["clickhouse"] == "up"
    assert wait_for(lambda: metric(server.url, "eslamed_events_flushed_total") == 10)
    text = requests.get(f"{server.url}/metrics", headers=METRICS_AUTH, timeout=5).text
    assert re.search(r"^eslamed_events_accepted_total 10\.0$", text, re.M)
    for name in ("eslamed_ring_fill_ratio", "eslamed_spill_bytes", "eslamed_flush_seconds_count"):
        assert name in text


def test_headers_are_json(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1)
    reply = requests.post(f"{server.url}/api/track", data=GOOD, headers=HEADERS, timeout=5)
    assert reply.status_code == 202
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"accepted": 1, "dropped": 0}
