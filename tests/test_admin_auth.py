"""Admin auth: the 401/403/429 table on the real server, every route gated, constant-time compare."""

from __future__ import annotations

import secrets
import time
import uuid

import requests

from eslamed.web.edge import secret_matches
from tests.support.admin import AUTH, SECRET, admin_app
from tests.support.clients import BROWSER_UA

UA = {"User-Agent": BROWSER_UA}


def get(server, headers=None):
    return requests.get(f"{server.url}/api/admin/leads", headers={**UA, **(headers or {})}, timeout=10)


def test_auth_table_on_the_real_server(clickhouse, store, make_server):
    server = make_server(clickhouse, store, ADMIN_FAIL_LIMIT="20/minute")
    missing = get(server)
    assert missing.status_code == 401 and missing.json()["message_en"] == "missing X-Admin-Secret header"
    wrong = get(server, {"X-Admin-Secret": "not-the-secret"})
    assert wrong.status_code == 401 and wrong.json()["message_en"] == "wrong admin secret"
    assert get(server, AUTH).status_code == 200

    codes = [get(server, {"X-Admin-Secret": f"guess-{i}"}).status_code for i in range(50)]
    # 2 failures above + 18 here reach the limit of 20 (counted across both workers); the rest are 429.
    assert codes == [401] * 18 + [429] * 32
    locked = get(server, AUTH)
    assert locked.status_code == 429, "past the limit even the right secret is refused"
    assert SECRET not in server.log()
    assert all(SECRET not in r.text for r in (missing, wrong, locked))


def test_refused_ip_gets_403_even_with_the_right_secret(clickhouse, store, make_server):
    server = make_server(clickhouse, store, ADMIN_ALLOWED_IPS="10.0.0.0/8, 192.168.1.7")
    refused = get(server, AUTH)
    assert refused.status_code == 403 and SECRET not in refused.text


def test_allow_list_admits_listed_ip_and_believes_only_trusted_proxies(clickhouse, store, tmp_path):
    client = admin_app(clickhouse, store, tmp_path, ADMIN_ALLOWED_IPS="10.1.0.0/16").test_client()
    inside = client.get("/api/admin/leads", headers=AUTH, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200
    via_proxy = client.get(
        "/api/admin/leads",
        headers={**AUTH, "X-Forwarded-For": "10.1.2.3"},
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert via_proxy.status_code == 200
    spoofed = client.get(
        "/api/admin/leads",
        headers={**AUTH, "X-Forwarded-For": "10.1.2.3"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert spoofed.status_code == 403


def test_every_admin_route_refuses_a_request_without_the_secret(clickhouse, store, tmp_path):
    app = admin_app(clickhouse, store, tmp_path, ADMIN_FAIL_LIMIT="1000/minute")
    client = app.test_client()
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/admin/")]
    assert len(rules) >= 9
    for rule in rules:
        url = rule.rule.replace("<lead_id>", str(uuid.uuid4()))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            reply = client.open(url, method=method, json={})
            assert reply.status_code == 401, f"{method} {rule.rule} answered {reply.status_code}"


def _timings(compare, expected, calls=200, rounds=31):
    """Fastest of many rounds per variant, variants interleaved in rotating order: the minimum is the
    least noisy estimate on a shared box, and the rotation keeps clock ramp-up from favouring one."""
    variants = {
        "right": "".join(expected),  # an equal string, not the same object
        "first": "#" + expected[1:],
        "last": expected[:-1] + "#",
    }
    names = list(variants)
    best = dict.fromkeys(names, float("inf"))
    for round_no in range(rounds):
        for name in names[round_no % 3 :] + names[: round_no % 3]:
            given = variants[name]
            start = time.perf_counter_ns()
            for _ in range(calls):
                compare(given, expected)
            best[name] = min(best[name], time.perf_counter_ns() - start)
    return best


def test_wrong_and_right_secret_take_the_same_time():
    expected = secrets.token_hex(32 * 1024)  # long, so a short-circuit compare would stand out clearly
    naive = _timings(lambda a, b: a == b, expected)
    assert naive["right"] > 3 * naive["first"], f"the measurement must see an early exit: {naive}"
    ours = _timings(secret_matches, expected)
    spread = max(ours.values()) / min(ours.values())
    # An early exit shows as a ratio of 10x or more (checked above); 1.5 leaves room for a busy CI box.
    assert spread < 1.5, f"compare times differ: {ours}"
    assert secret_matches(expected, expected) and not secret_matches(expected[:-1], expected)
