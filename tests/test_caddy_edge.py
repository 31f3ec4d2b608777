"""The shipped Caddy (ops/Caddyfile on Debian's caddy) in front of the real gunicorn: a client
can no longer choose the address the app sees. Each loopback source address is one client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support.caddy import CaddyProcess
from tests.support.clients import send_raw
from tests.support.leads import SITE, form_lead, lead_env
from tests.support.server import METRICS_AUTH

SECRET = "test-admin-secret-0123456789abcdef"
OWNER = "127.0.0.2"  # the owner's phone, the only address on the admin allow-list with a helper
HELPER = "127.0.0.3"
ATTACKER = "127.0.0.4"


@pytest.fixture
def edge(clickhouse, store, make_server, tmp_path: Path) -> Iterator[CaddyProcess]:
    server = make_server(
        clickhouse,
        store,
        workers=2,
        **{
            **lead_env(),
            "TRUSTED_PROXIES": "127.0.0.1/32",  # Caddy connects to the app from 127.0.0.1
            "ADMIN_ALLOWED_IPS": f"{OWNER},{HELPER}",
            "ADMIN_FAIL_LIMIT": "20/minute",
            "LEAD_RATE_LIMIT": "5/minute",
        },
    )
    caddy = CaddyProcess(tmp_path / "caddy", server.port).start()
    yield caddy
    caddy.stop()


def admin(caddy: CaddyProcess, source: str, secret: str, forged: str | None = None) -> int:
    headers = {"X-Admin-Secret": secret, **({"CF-Connecting-IP": forged} if forged else {})}
    return send_raw("GET", caddy.url, "/api/admin/leads", None, headers, source)[0]


def test_forged_cf_connecting_ip_through_caddy_gets_nothing(edge: CaddyProcess) -> None:
    assert admin(edge, OWNER, SECRET) == 200
    # Not on the allow-list: claiming the owner's address (or Cloudflare's) changes nothing.
    assert admin(edge, ATTACKER, SECRET) == 403
    assert admin(edge, ATTACKER, SECRET, forged=OWNER) == 403
    headers = {"X-Admin-Secret": SECRET, "CF-Connecting-IP": OWNER, "X-Forwarded-For": OWNER}
    assert send_raw("GET", edge.url, "/api/admin/leads", None, headers, ATTACKER)[0] == 403

    # Brute force from an allowed address, a fresh forged address on every try: still one counter.
    codes = [admin(edge, HELPER, f"guess-{i}", forged=f"198.51.{i // 250}.{i % 250}") for i in range(300)]
    assert codes == [401] * 20 + [429] * 280

    # Wrong secrets sent in the owner's name do not lock the owner out.
    for i in range(40):
        admin(edge, ATTACKER, f"guess-{i}", forged=OWNER)
        admin(edge, HELPER, f"guess-{i}", forged=OWNER)
    assert admin(edge, OWNER, SECRET) == 200

    # The lead limit counts the real client, whatever address each lead claims.
    codes = []
    for i in range(12):
        headers = {"Origin": SITE, "CF-Connecting-IP": f"203.0.113.{i + 1}"}
        body = orjson.dumps(form_lead(phone=f"0532 123 45 {i:02d}"))
        codes.append(send_raw("POST", edge.url, "/api/lead", body, headers, ATTACKER)[0])
    assert codes == [201] * 5 + [429] * 7


def test_caddy_does_not_forward_metrics(edge: CaddyProcess) -> None:
    status, _, body = send_raw("GET", edge.url, "/metrics", None, METRICS_AUTH, ATTACKER)
    assert status == 404 and b"eslamed_" not in body
    status, _, body = send_raw("GET", edge.url, "/METRICS", None, METRICS_AUTH, ATTACKER)
    assert status in (401, 404) and b"eslamed_" not in body
