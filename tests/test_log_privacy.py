"""Secrets and phone numbers never reach a log line, even with debug logging and the access log on."""

import re

import requests

from tests.support.clients import BROWSER_UA
from tests.support.leads import form_lead, post_lead
from tests.support.polling import wait_for


def test_server_log_holds_no_secret_and_no_phone(clickhouse, store, make_server) -> None:
    server = make_server(
        clickhouse,
        store,
        workers=2,
        ESLAMED_ACCESS_LOG="-",
        ESLAMED_LOG_LEVEL="debug",
        LEAD_RATE_LIMIT="100/minute",
    )
    secret = server.env["ADMIN_SECRET"]
    assert post_lead(server.url, form_lead(phone="0532 123 45 67")).status_code == 201
    admin = {"User-Agent": BROWSER_UA, "X-Admin-Secret": secret}
    found = requests.get(
        f"{server.url}/api/admin/leads", params={"q": "+905321234567"}, headers=admin, timeout=10
    )
    assert found.status_code == 200 and found.json()["leads"]
    for wrong in (secret[:-1], secret + "x", "+905321234567"):
        reply = requests.get(
            f"{server.url}/api/admin/leads", headers={**admin, "X-Admin-Secret": wrong}, timeout=10
        )
        assert reply.status_code == 401 and secret not in reply.text
    assert wait_for(lambda: "/api/admin/leads" in server.log(), what="access log lines")
    log = server.log()
    assert secret not in log
    for raw in ("+905321234567", "905321234567", "5321234567", "0532 123 45 67"):
        assert raw not in log, raw
    assert "+90532***4567" in log


def test_phones_in_url_escaped_forms_are_masked_and_the_listen_line_is_kept(
    clickhouse, store, make_server
) -> None:
    """Issue 15 item 9: `+`, `%20` and `%2B` spellings reached gunicorn's access log unmasked, and the
    masker turned "Listening at: http://127.0.0.1:8000 (pid)" into "...:800012***2345)"."""
    server = make_server(clickhouse, store, workers=1, ESLAMED_ACCESS_LOG="-")
    spellings = (
        "+90+532+123+45+67",
        "%2B90%20532%20123%2045%2067",
        "%2b905321234567",
        "0532%20123%2045%2067",
        "0532-123-45-67",
    )
    for spelling in spellings:
        reply = requests.get(f"{server.url}/api/x?phone={spelling}", headers={"User-Agent": BROWSER_UA})
        assert reply.status_code == 404
    assert wait_for(lambda: server.log().count("/api/x?phone=") == len(spellings), what="access log lines")
    log = server.log()
    for spelling in spellings:
        assert spelling not in log, spelling
    assert "1234567" not in log and "123+45" not in log and "123%2045" not in log
    assert log.count("/api/x?phone=+90532***4567 ") == 3, log
    assert log.count("/api/x?phone=053212***4567 ") == 2, log
    port = server.url.rsplit(":", 1)[1]
    assert re.search(rf"Listening at: http://127\.0\.0\.1:{port} \(\d+\)", log), log
