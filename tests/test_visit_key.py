"""The cookieless visit key (issue 22): a keyed hash of the day's salt, the site, the address (/64) and the
User-Agent. Plain functions over a salts directory; the real-path checks are in the ground-truth browser
test and in test_two_browsers_behind_one_address_are_two_visitors below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from eslamed.ingest.visit_key import ISTANBUL, Salts, istanbul_day, visit_key
from tests.support.admin import AUTH
from tests.support.clients import BROWSER_UA, dumps, new_event, post_raw
from tests.support.leads import SITE
from tests.support.polling import wait_for

OTHER_UA = BROWSER_UA.replace("Pixel 7", "SM-A536B")


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=ISTANBUL).timestamp()


def key_at(salts: Salts, when: float, ip: str = "78.160.10.7", ua: str = BROWSER_UA) -> str:
    return visit_key(salts.salt(istanbul_day(when), when), "eslamed.example", ip, ua)


def test_one_browser_one_key_a_day_and_a_stranger_the_next(tmp_path: Path) -> None:
    salts = Salts(tmp_path / "salts")
    morning = key_at(salts, at(4, 9))
    assert key_at(salts, at(4, 23, 59)) == morning, "the same browser all day"
    assert key_at(salts, at(4, 9), ua=OTHER_UA) != morning, "another phone behind the same address"
    assert key_at(salts, at(4, 9), ip="78.160.10.8") != morning
    v6 = key_at(salts, at(4, 9), ip="2a02:ff0:1:2::10")
    assert key_at(salts, at(4, 9), ip="2a02:ff0:1:2:aaaa::1") == v6, "an IPv6 client by its /64"
    assert key_at(salts, at(5, 9)) != morning, "next day: a new salt, a new visitor"
    assert len(morning) == 32 and morning != visit_key(
        b"\0" * 32, "eslamed.example", "78.160.10.7", BROWSER_UA
    )


def test_salts_are_shared_private_and_yesterdays_goes_half_an_hour_after_midnight(tmp_path: Path) -> None:
    directory = tmp_path / "salts"
    one, two = Salts(directory), Salts(directory)  # two workers
    assert key_at(one, at(4, 23, 50)) == key_at(two, at(4, 23, 55))
    late_beacon = at(4, 23, 59)  # a page of yesterday whose beacon arrives after midnight
    just_after = at(5, 0, 10)
    assert one.salt(istanbul_day(late_beacon), just_after) == two.salt(
        istanbul_day(late_beacon), at(4, 23, 59)
    )
    assert sorted(p.name for p in directory.glob("*.salt")) == ["2026-12-04.salt", "2026-12-05.salt"]
    assert {oct(p.stat().st_mode & 0o777) for p in directory.glob("*.salt")} == {"0o600"}
    later = at(5, 0, 31)
    assert one.salt(istanbul_day(late_beacon), later) == one.salt(istanbul_day(later), later), (
        "yesterday's is gone"
    )
    assert sorted(p.name for p in directory.glob("*.salt")) == ["2026-12-05.salt"]
    assert Salts(directory).salt(istanbul_day(later), later) == one.salt(istanbul_day(later), later), (
        "a restart keeps it"
    )


def test_two_browsers_behind_one_address_are_two_visitors(clickhouse, store, make_server) -> None:
    """Through the real server: two phones on one address, three pages each without consent, are two visits
    and two visitors, each landing on its own first page."""
    server = make_server(clickhouse, store)
    now = datetime.now(UTC)
    for agent, pages in (
        (BROWSER_UA, ("/fiyat", "/acil", "/iletisim")),
        (OTHER_UA, ("/acil", "/fiyat", "/")),
    ):
        for n, path in enumerate(pages):
            ts = int((now - timedelta(minutes=10 - n)).timestamp() * 1000)
            event = new_event(url=f"{SITE}{path}", ts=ts, ref=f"{SITE}{pages[n - 1]}" if n else "")
            headers = {"User-Agent": agent, "Origin": SITE}
            assert post_raw(server.url, "/api/track", dumps({"events": [event]}), headers)[0] == 202
    wait_for(lambda: store.query(f"SELECT count() FROM {store.database}.events") == [(6,)], what="6 events")
    stats = requests.get(f"{server.url}/api/admin/stats", headers=AUTH, timeout=10).json()
    assert (stats["totals"]["visits"], stats["totals"]["visitors"]) == (2, 2)
    landing = {row["value"]: row["visits"] for row in stats["by"]["landing"]}
    assert landing == {"/fiyat": 1, "/acil": 1}


def test_a_salt_the_disk_has_no_room_for_is_kept_in_memory_and_written_later(tmp_path: Path) -> None:
    """A full DATA_DIR must not fail a beacon or a lead (tests/test_disk_full.py): the worker keeps the
    day's salt in memory, its keys stay stable, and the salt reaches the disk once there is room."""
    directory = tmp_path / "salts"
    directory.write_text("a file where the directory should be: every write fails")
    salts = Salts(directory)
    first = key_at(salts, at(4, 9))
    assert key_at(salts, at(4, 9, 0)) == first
    directory.unlink()
    assert key_at(salts, at(4, 9, 2)) == first, "a minute later the same salt is written"
    assert [p.name for p in directory.glob("*.salt")] == ["2026-12-04.salt"]
    assert Salts(directory).salt(istanbul_day(at(4, 10)), at(4, 10)) == salts.salt(
        istanbul_day(at(4, 10)), at(4, 10)
    )
