"""Security round 2 (issue 27), against the real server: each finding replayed as the attack it describes."""

from __future__ import annotations

import time

import orjson

from tests.support.clients import BROWSER_UA, dumps, new_event, post_raw
from tests.support.leads import SITE, form_lead, lead_env
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
