"""Issue 15, the edges: who the client is, what a client can make a worker remember, how the
shared rate-limit table behaves when full, and who may read /metrics."""

from __future__ import annotations

import gc
import ipaddress
import logging
import time
import tracemalloc
from pathlib import Path

import orjson
import pytest
from limits import parse as parse_limit
from limits.strategies import FixedWindowRateLimiter
from prometheus_client import REGISTRY

from eslamed.core.config import CLOUDFLARE_RANGES, parse_cidrs
from eslamed.core.ratelimit import SLOTS, FixedWindow, SharedFileStorage, rate_key, storage_uri
from eslamed.ingest.pipeline import url_path
from eslamed.ingest.source import referrer_host
from eslamed.ingest.useragent import classify
from eslamed.web.client_address import client_ip
from tests.support.admin import admin_app
from tests.support.clients import new_event, post_raw, send_raw
from tests.support.leads import SITE, form_lead, lead_env
from tests.support.server import METRICS_AUTH

CADDY = (ipaddress.ip_network("172.30.0.1/32"),)
CLOUDFLARE = parse_cidrs("CLOUDFLARE_PROXIES", CLOUDFLARE_RANGES)
EDGE = "162.158.1.2"  # one of Cloudflare's


@pytest.mark.parametrize(
    ("peer", "cf", "xff", "expected"),
    [
        # Cloudflare straight to the app: its CF-Connecting-IP is the client.
        (EDGE, "81.2.69.142", None, "81.2.69.142"),
        # Anyone else's CF-Connecting-IP is ignored, our own proxy's included.
        ("203.0.113.9", "81.2.69.142", None, "203.0.113.9"),
        ("172.30.0.1", "10.9.9.9", "81.2.69.142", "81.2.69.142"),
        # Visitor -> Cloudflare -> Caddy -> app: the right-most hop that is neither ours nor
        # Cloudflare's; what the visitor wrote itself (the left part) is never reached.
        ("172.30.0.1", None, f"10.9.9.9, 81.2.69.142, {EDGE}", "81.2.69.142"),
        ("172.30.0.1", "10.9.9.9", f"10.9.9.9, 81.2.69.142, {EDGE}", "81.2.69.142"),
        # Straight to Caddy (no Cloudflare): Caddy wrote only the peer it saw.
        ("172.30.0.1", None, "198.51.100.7", "198.51.100.7"),
        # X-Forwarded-For from a peer that is only Cloudflare is not read.
        (EDGE, None, "10.9.9.9", EDGE),
        # A zone id is no client address, whatever its length.
        (EDGE, "fe80::1%" + "x" * 50, None, EDGE),
        ("172.30.0.1", None, "fe80::1%eth0", "172.30.0.1"),
    ],
)
def test_client_headers_are_believed_only_from_who_writes_them(peer, cf, xff, expected) -> None:
    assert client_ip(peer, cf, xff, CADDY, CLOUDFLARE) == expected


def test_caches_keyed_by_client_input_stay_small_whatever_the_client_sends() -> None:
    """Each request carries a new 4 KB header, user agent, URL and referrer (the audit grew a
    worker from 110 to 372 MB in 60 s this way). What the caches keep must not grow with it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pad = "x" * 4000
    for i in range(2000):
        client_ip("172.30.0.1", f"{i}{pad}", f"{pad}{i}, 81.2.69.142", CADDY, CLOUDFLARE)
        client_ip("172.30.0.1", None, f"{pad}{i}", CADDY, CLOUDFLARE)
        classify(f"Mozilla/5.0 (X11; Linux x86_64) {pad[:1500]}{i}")
        url_path(f"https://eslamed.example/{pad[:2000]}{i}")
        referrer_host(f"https://ref.example/{pad[:2000]}{i}")
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 2_000_000, f"caches kept {grown / 1e6:.1f} MB of client input"


def test_ipv6_clients_are_one_counter_per_64() -> None:
    assert rate_key("2001:db8:1:2::1") == rate_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert rate_key("2001:db8:1:3::1") != rate_key("2001:db8:1:2::1")
    assert rate_key("81.2.69.142") == "81.2.69.142"
    assert rate_key("::ffff:81.2.69.142") == "81.2.69.142"
    assert rate_key("") == ""


def test_ipv6_addresses_of_one_64_share_the_lead_and_admin_limits_and_no_header_makes_a_5xx(
    clickhouse, store, make_server
) -> None:
    server = make_server(
        clickhouse,
        store,
        workers=2,
        **{**lead_env(), "LEAD_RATE_LIMIT": "5/minute", "ADMIN_FAIL_LIMIT": "5/minute"},
    )
    # 127.0.0.2 is the trusted proxy of the test settings; each request claims a new address of one /64.
    leads = []
    for i in range(12):
        via = {"Origin": SITE, "X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"}
        body = orjson.dumps(form_lead(phone=f"0532 123 45 {i:02d}"))
        leads.append(post_raw(server.url, "/api/lead", body, via, source_ip="127.0.0.2")[0])
    assert leads == [201] * 5 + [429] * 7
    logins = []
    for i in range(12):
        via = {"X-Admin-Secret": f"guess-{i}", "X-Forwarded-For": f"2001:db8:9:9:{i + 1:x}::1"}
        logins.append(send_raw("GET", server.url, "/api/admin/leads", None, via, "127.0.0.2")[0])
    assert logins == [401] * 5 + [429] * 7
    other = {"Origin": SITE, "X-Forwarded-For": "2001:db8:1:3::1"}
    assert (
        post_raw(server.url, "/api/lead", orjson.dumps(form_lead()), other, source_ip="127.0.0.2")[0] == 201
    )

    hostile = [
        "",
        ",",
        "," * 4000,
        "x" * 8000,
        "fe80::1%eth0",
        "::",
        "1.2.3.4/24",
        "\u00e7",
        "1.2.3.4, , 5.6.7.8",
    ]
    event = orjson.dumps(new_event())
    for value in hostile:
        claims = {"CF-Connecting-IP": value, "X-Forwarded-For": value}
        for source in ("127.0.0.1", "127.0.0.2"):
            assert post_raw(server.url, "/api/track", event, claims, source_ip=source)[0] == 202, value


def test_a_full_rate_limit_table_refuses_and_never_resets_other_counters(tmp_path: Path, caplog) -> None:
    storage = SharedFileStorage(storage_uri(tmp_path / "ratelimit.bin"))
    limiter = FixedWindowRateLimiter(storage)
    limit = parse_limit("3/minute")
    full_before = REGISTRY.get_sample_value("eslamed_ratelimit_table_full_total") or 0.0
    counted, refused = [], []
    with caplog.at_level(logging.WARNING, logger="eslamed.core.ratelimit"):
        for i in range(SLOTS + 4000):  # more live keys than the table has slots
            key = f"198.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            (counted if limiter.hit(limit, "lead", key) else refused).append(key)
    assert len(counted) <= SLOTS and len(refused) >= 4000
    # Nobody's count was overwritten: every key that got a slot still has its one hit.
    assert all(storage.get(limit.key_for("lead", key)) == 1 for key in counted)
    # A key without a slot is over the limit, for test() as for hit(): the admin gate refuses it.
    assert not limiter.test(limit, "lead", refused[0]) and not limiter.hit(limit, "lead", refused[0])
    full_after = REGISTRY.get_sample_value("eslamed_ratelimit_table_full_total")
    assert full_after - full_before >= len(refused)
    warnings = [r for r in caplog.records if "rate-limit table full" in r.getMessage()]
    assert len(warnings) == 1, "logged, but not once per request"


class CountingStorage(SharedFileStorage):
    """The shared table, counting how often a worker went to it (each visit takes the flock)."""

    reserves = 0

    def reserve(self, key: str, expiry: int, want: int, limit: int) -> tuple[int, float]:
        self.reserves += 1
        return super().reserve(key, expiry, want, limit)


def test_track_limit_leases_hits_so_workers_grant_the_limit_exactly_without_a_lock_per_request(
    tmp_path: Path,
) -> None:
    uri = storage_uri(tmp_path / "ratelimit.bin")
    workers = [CountingStorage(uri), CountingStorage(uri)]  # two processes' maps of one file
    limit = parse_limit("3200/minute")
    windows = [FixedWindow(storage, limit, "track") for storage in workers]
    granted = sum(windows[i % 2].hit("203.0.113.7") for i in range(4000))
    assert granted == 3200, "together the workers allow the limit, not more and not less"
    assert all(not w.hit("203.0.113.7") for w in windows), "used up: refused in every worker"
    assert sum(s.reserves for s in workers) < 4000 / 10, "the shared table is visited per lease, not per hit"
    assert windows[0].hit("203.0.113.8"), "another client keeps its own window"
    assert workers[0].get(f"{limit.key_for('track')}/203.0.113.7") == 3200


def test_track_limit_of_a_small_window_is_exact_per_request(tmp_path: Path) -> None:
    uri = storage_uri(tmp_path / "ratelimit.bin")
    limit = parse_limit("30/minute")
    windows = [FixedWindow(SharedFileStorage(uri), limit, "track") for _ in range(2)]
    assert [windows[i % 2].hit("198.51.100.1") for i in range(45)].count(True) == 30


def test_expired_counters_are_reused_when_the_table_is_full(tmp_path: Path) -> None:
    storage = SharedFileStorage(storage_uri(tmp_path / "ratelimit.bin"))
    for i in range(SLOTS):
        storage.incr(f"old-{i}", 1)
    time.sleep(1.1)
    assert all(storage.incr(f"new-{i}", 60) == 1 for i in range(SLOTS // 3))


def test_metrics_need_the_token(clickhouse, store, tmp_path: Path) -> None:
    client = admin_app(clickhouse, store, tmp_path).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    admin_secret = {"X-Admin-Secret": "test-admin-secret-0123456789abcdef"}
    assert client.get("/metrics", headers=admin_secret).status_code == 401
    answer = client.get("/metrics", headers=METRICS_AUTH)
    assert answer.status_code == 200 and b"eslamed_" in answer.data
    untokened = admin_app(clickhouse, store, tmp_path / "b", METRICS_TOKEN="").test_client()
    assert untokened.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
