"""Security round 2 (issue 27), against the real server: each finding replayed as the attack it describes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import orjson
import pytest

from tests.support.clients import BROWSER_UA, dumps, new_event, post_raw
from tests.support.leads import SITE, form_lead, lead_env, post_lead
from tests.support.meta import CALL_SECRET, call_notice, inbound_env, sign
from tests.support.peers import telegram_peer
from tests.support.polling import wait_for

FOREIGN = "https://free-oxygen-giveaway.example"


def test_cross_site_leads_and_beacons_are_refused_and_leave_nothing(clickhouse, store, make_server) -> None:
    """B: a foreign page posting text/plain from its visitors' browsers gets 403; nothing is stored and the
    owner is not notified. Our own origin, the server's own host, and a client sending neither header pass."""
    telegram = telegram_peer().start()
    try:
        server = make_server(clickhouse, store, **lead_env(telegram))
        plain = {"Content-Type": "text/plain;charset=UTF-8", "User-Agent": BROWSER_UA}
        attacks = (
            {"Origin": FOREIGN, "Sec-Fetch-Site": "cross-site"},
            {"Origin": FOREIGN},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
        )
        for headers in attacks:
            status, _, body = post_raw(server.url, "/api/lead", dumps(form_lead()), {**plain, **headers})
            assert (status, orjson.loads(body)["error"]) == (403, "cross_site"), headers
            beacon = dumps({"events": [new_event(url=f"{SITE}/fiyat")]})
            status, _, _ = post_raw(server.url, "/api/track", beacon, {**plain, **headers})
            assert status == 403, headers

        host = server.url.removeprefix("http://")
        ours = (
            {"Origin": SITE, "Sec-Fetch-Site": "same-site"},
            {"Origin": server.url, "Sec-Fetch-Site": "same-origin", "Host": host},
            {},
        )
        for headers in ours:
            status, _, body = post_raw(server.url, "/api/lead", dumps(form_lead()), {**plain, **headers})
            assert status == 201, (headers, body)
        wait_for(lambda: len(telegram.delivered()) == 3, what="the three own-site leads notified")
        time.sleep(1)
        assert len(telegram.delivered()) == 3, "no cross-site lead reached the owner"
        assert store.query(f"SELECT count() FROM {store.database}.leads") == [(3,)]
        assert store.query(f"SELECT count() FROM {store.database}.events") == [(0,)]
    finally:
        telegram.stop()


def _modes(root: Path) -> dict[str, str]:
    """Every file and directory under root with its permission bits, e.g. {'outbox': '700'}."""
    out = {}
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            out[str(path.relative_to(root)) or "."] = f"{path.stat().st_mode & 0o777:o}"
    return out


def test_data_and_spool_files_are_private_whatever_the_umask(
    clickhouse, store, make_server, tmp_path
) -> None:
    """G: under umask 000, the outbox entry (name, phone, message), the journal, the ring and every other
    file under DATA_DIR and SPOOL_DIR is 0600 in a 0700 directory; a 0644 file an older version left is
    tightened at start."""
    telegram = telegram_peer().start()
    telegram.fail_first(1000)  # the notification stays in the outbox
    old = tmp_path / "data" / "outbox"
    old.mkdir(parents=True)
    (old / "left-by-an-older-version.json").write_text('{"phone": "+905321234567"}')
    (old / "left-by-an-older-version.json").chmod(0o644)
    previous = os.umask(0)
    try:
        server = make_server(clickhouse, store, **lead_env(telegram))
        assert post_lead(server.url, form_lead()).status_code == 201
        beacon = dumps({"events": [new_event(url=f"{SITE}/fiyat")]})
        assert post_raw(server.url, "/api/track", beacon, {"Origin": SITE})[0] == 202
        wait_for(lambda: telegram.requests, what="a notification attempt")
        entries = wait_for(lambda: list((tmp_path / "data" / "outbox").glob("*.json")), what="outbox entry")
        assert any(b"+90532" in e.read_bytes() for e in entries if "older" not in e.name)
    finally:
        os.umask(previous)
        telegram.stop()
    for root in (tmp_path / "data", tmp_path / "spool"):
        modes = _modes(root)
        loose = {
            name: mode for name, mode in modes.items() if mode != ("700" if (root / name).is_dir() else "600")
        }
        assert loose == {}, f"{root.name}: {loose}"
        assert len(modes) > 3, modes


def _settings(**extra: str):
    from eslamed.core.config import load_settings

    env = {
        "CLICKHOUSE_URL": "clickhouse://default:@127.0.0.1:9000/x",
        "ADMIN_SECRET": "Kq8vN2xR7tLp4sWz9bYc3mHf",
        **extra,
    }
    return load_settings(env=env, dotenv=None, need_geoip=False)


def test_webhook_secrets_follow_the_admin_secret_rules() -> None:
    """F: a whitespace-only secret no longer counts as set (a call signed with " " was accepted), and in
    production a webhook secret must be as strong as ADMIN_SECRET ("1234" was accepted)."""
    from eslamed.core.config import ConfigError

    fields = {
        "CALL_WEBHOOK_SECRET": "call_secret",
        "WHATSAPP_APP_SECRET": "whatsapp_app_secret",
        "WHATSAPP_VERIFY_TOKEN": "whatsapp_verify_token",
    }
    for name, field in fields.items():
        with pytest.raises(ConfigError, match=f"{name} is blank"):
            _settings(**{name: "   "})
        with pytest.raises(ConfigError, match=f"{name} must be at least 24 characters in production"):
            _settings(**{name: "1234", "ESLAMED_ENV": "production"})
        with pytest.raises(ConfigError, match=f"{name} has fewer than 10 different characters"):
            _settings(**{name: "ab" * 16, "ESLAMED_ENV": "production"})
        strong = _settings(**{name: "7f3a9c1e5b8d2f6a4c0e9b7d", "ESLAMED_ENV": "production"})
        assert getattr(strong.integrations.webhooks, field) == "7f3a9c1e5b8d2f6a4c0e9b7d"
    webhooks = _settings(CALL_WEBHOOK_SECRET="1234").integrations.webhooks
    assert webhooks.call_secret == "1234", "development allows it"


def test_bad_webhook_signatures_are_limited_per_address(clickhouse, store, make_server) -> None:
    """F: bad signatures used to be free to try forever; now 20 a minute per address, then 429 for that
    address (a right signature included, as for the admin secret), while another address is served."""
    server = make_server(clickhouse, store, **lead_env(), **inbound_env())
    body = {"call_id": "c-1", "caller": "+905321112233", "called": "+905325550123",
            "started_at": "2026-12-04T10:00:00Z", "duration_s": 30}  # fmt: skip
    codes = [call_notice(server.url, body, signature="sha256=" + "0" * 64).status_code for _ in range(25)]
    assert codes == [401] * 20 + [429] * 5
    assert call_notice(server.url, body).status_code == 429
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Signature-256": sign(raw, CALL_SECRET)}
    status, _, _ = post_raw(server.url, "/api/webhooks/call", raw, headers, source_ip="127.0.0.9")
    assert status == 200
