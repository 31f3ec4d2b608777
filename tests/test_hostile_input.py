"""Hostile input: fuzzed payloads, huge headers, gzip bombs, slow clients. No 5xx, no crash, bounded memory."""

from __future__ import annotations

import gzip
import json
import socket
import time
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eslamed.core.problems import Problem
from eslamed.ingest.validate import validate_track_body
from tests.support.clients import dumps, new_event, post_raw
from tests.support.leads import form_lead, lead_env, post_lead

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)
EVENTISH = st.fixed_dictionaries(
    {"type": st.sampled_from(["pageview", "click", "nope", 3, None])},
    optional={
        "event_id": st.uuids().map(str) | st.text(max_size=40),
        "url": st.text(max_size=3000) | st.integers(),
        "ts": st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
        "props": st.dictionaries(st.text(max_size=80), JSON, max_size=25) | JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_ever_fail_as_validation_errors(raw: bytes) -> None:
    try:
        events = validate_track_body(raw)
    except Problem as exc:
        assert exc.message
        return
    assert all(isinstance(e["event_id"], str) for e in events)


@settings(max_examples=300, deadline=None)
@given(JSON | EVENTISH | st.fixed_dictionaries({"events": st.lists(EVENTISH, max_size=60)}))
def test_arbitrary_json_is_either_a_clean_event_list_or_a_field_error(value: object) -> None:
    try:
        events = validate_track_body(json.dumps(value).encode())
    except Problem as exc:
        assert exc.message and isinstance(exc.field, str)
        return
    for event in events:
        assert event["type"] in {"pageview", "click"}
        assert len(event["url"]) <= 2048 and len(event["props"]) <= 20


URLISH = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(["http://", "https://", "//", "", "http://[", "javascript:"]),
    st.text(st.sampled_from("[]:/?#@.%x1 \uff03\uff0f\u2100\u0130\r\n"), max_size=24) | st.text(max_size=24),
)


def test_url_ish_strings_in_url_and_ref_never_get_a_5xx(clickhouse, store, make_server) -> None:
    """Addresses Python's URL parser refuses once answered 500 with a traceback (issue 15 item 10)."""
    server = make_server(clickhouse, store, workers=1, **lead_env())
    statuses: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(url=URLISH, ref=URLISH)
    def post_both(url: str, ref: str) -> None:
        status, _, reply = post_raw(
            server.url, "/api/track", dumps({"events": [new_event(url=url, ref=ref)]})
        )
        assert status in (202, 400), (url, ref, status, reply)
        if status == 400:
            assert json.loads(reply)["field"] in ("events[0].url", "events[0].ref"), reply
        lead = post_lead(server.url, form_lead(url=url))
        assert lead.status_code in (201, 400), (url, lead.status_code, lead.text)
        statuses[status] = statuses.get(status, 0) + 1

    post_both()
    for url, field in (("http://[::1/acil", "url"), ("http://[x", "ref")):
        status, _, reply = post_raw(server.url, "/api/track", dumps(new_event(**{field: url})))
        assert (status, json.loads(reply)) == (
            400,
            {
                "error": "invalid",
                "field": field,
                "message_en": f"{field} is not a parseable URL",
                "message_tr": f"Geçersiz bilgi: {field}",
            },
        )
    assert post_lead(server.url, form_lead(url="http://[::1/acil")).status_code == 201
    assert "Traceback" not in server.log()
    assert statuses.get(400) and statuses.get(202), statuses


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))


def raw_request(url: str, data: bytes, timeout: float = 10) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        return sock.recv(4096)


def test_hostile_http_requests_get_4xx_and_workers_stay_small(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1)
    pid = server.worker_pids()[0]
    before = rss_kb(pid)

    bomb = gzip.compress(b'{"type":"pageview","url":"' + b"a" * 15_000_000 + b'"}', 9)
    assert len(bomb) < 16 * 1024
    status, _, reply = post_raw(server.url, "/api/track", bomb, {"Content-Encoding": "gzip"})
    assert status == 415 and b"compressed" in reply

    huge_header = (
        f"POST /api/track HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 20_000}\r\nContent-Length: 2\r\n\r\n{{}}"
    )
    assert raw_request(server.url, huge_header.encode()).split(b" ")[1] in (b"400", b"431")
    many = "".join(f"X-H{i}: v\r\n" for i in range(200))
    assert raw_request(server.url, f"GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()).split(b" ")[
        1
    ] in (
        b"400",
        b"431",
    )
    long_line = f"GET /{'p' * 10_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert raw_request(server.url, long_line).split(b" ")[1] in (b"400", b"414")
    nested = b'{"type":"pageview","props":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    assert post_raw(server.url, "/api/track", nested)[0] in (400, 413)
    assert post_raw(server.url, "/api/track", b"\xff\xfe\x00garbage")[0] == 400
    for field in ("url", "title", "ref"):
        injected = dumps(new_event(**{field: "x\r\nSet-Cookie: owned=1\r\n<script>alert(1)</script>"}))
        status, headers, _ = post_raw(server.url, "/api/track", injected)
        assert status == 202 and "Set-Cookie" not in headers

    assert rss_kb(pid) - before < 50_000
    assert server.worker_pids() == [pid], "no worker crashed"


def test_slow_clients_do_not_starve_real_ones(clickhouse, store, make_server) -> None:
    """Slowloris, bounded: 200 connections dribbling headers while normal beacons keep flowing."""
    server = make_server(clickhouse, store, workers=2)
    parts = urlsplit(server.url)
    slow = []
    for _ in range(200):
        sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        sock.sendall(b"POST /api/track HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    try:
        latencies = []
        for _ in range(30):
            for sock in slow[:50]:
                sock.sendall(b"X-Slow: 1\r\n")
            started = time.perf_counter()
            assert post_raw(server.url, "/api/track", dumps(new_event()))[0] == 202
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
        latencies.sort()
        assert latencies[len(latencies) // 2] < 0.5
    finally:
        for sock in slow:
            sock.close()
    assert len(server.worker_pids()) == 2
