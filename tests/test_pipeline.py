"""Enrichment steps, each called as a plain function (no server)."""

import ipaddress
import time

import pytest

from eslamed.ingest import pipeline
from eslamed.ingest.geo import GeoLookup
from eslamed.ingest.source import classify_source, referrer_host
from eslamed.ingest.validate import validate_track_body
from eslamed.web.client_address import client_ip
from tests.support.paths import GEOIP_CITY

ANDROID = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1"
PROXY = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.fixture(scope="module")
def geo() -> GeoLookup:
    return GeoLookup(GEOIP_CITY)


def event(**fields: object) -> dict:
    import orjson

    return validate_track_body(orjson.dumps({"type": "pageview", **fields}))[0]


def ctx(geo: GeoLookup | None, ua: str = ANDROID, ip: str = "81.2.69.142") -> pipeline.Context:
    return pipeline.make_context(ip, ua, geo, frozenset({"eslamed.example"}))


def test_full_pipeline_enriches_a_paid_mobile_pageview_from_london(geo: GeoLookup) -> None:
    out = pipeline.run(
        event(gclid="AbCd", url="https://eslamed.example/hizmetler/oksijen-tupu?x=1"), ctx(geo)
    )
    assert not isinstance(out, pipeline.Drop)
    assert (out["country"], out["subdivision"], out["city"]) == ("GB", "England", "London")
    assert (out["device"], out["browser"], out["os"]) == ("mobile", "Chrome Mobile", "Android")
    assert out["source"] == "paid"
    assert out["path"] == "/hizmetler/oksijen-tupu"


@pytest.mark.parametrize(
    "ua",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "python-requests/2.31",
        "",
    ],
)
def test_bots_are_dropped_with_a_reason(geo: GeoLookup, ua: str) -> None:
    assert pipeline.run(event(), ctx(geo, ua=ua)) == pipeline.Drop("bot")


def test_device_types(geo: GeoLookup) -> None:
    assert pipeline.run(event(), ctx(geo, ua=DESKTOP))["device"] == "desktop"
    assert pipeline.run(event(), ctx(geo, ua=IPAD))["device"] == "tablet"


def test_skewed_client_clock_is_clamped_to_server_time() -> None:
    now = time.time()
    future = pipeline.clamp_timestamp({"ts": (now + 3600) * 1000}, ctx(None))
    assert abs(future["ts"] - now) < 5
    past = pipeline.clamp_timestamp({"ts": (now - 10 * 86400) * 1000}, ctx(None))
    assert abs(past["ts"] - now) < 5
    recent = pipeline.clamp_timestamp({"ts": (now - 30) * 1000}, ctx(None))
    assert abs(recent["ts"] - (now - 30)) < 2


def test_unknown_address_has_no_place(geo: GeoLookup) -> None:
    out = pipeline.run(event(), ctx(geo, ip="10.1.2.3"))
    assert (out["country"], out["city"]) == ("", "")


@pytest.mark.parametrize(
    ("click", "medium", "source", "ref", "expected"),
    [
        (True, "", "", "", "paid"),
        (False, "cpc", "google", "", "paid"),
        (False, "", "", "https://www.google.com.tr/", "organic"),
        (False, "", "", "google", "organic"),
        (False, "", "", "https://yandex.com.tr/search", "organic"),
        (False, "", "", "https://l.instagram.com/", "social"),
        (False, "", "", "https://t.co/abc", "social"),
        (False, "", "", "https://forum.example.org/thread", "referral"),
        (False, "", "", "https://eslamed.example/fiyat", "direct"),
        (False, "", "", "", "direct"),
    ],
)
def test_source_classification(click: bool, medium: str, source: str, ref: str, expected: str) -> None:
    host = referrer_host(ref)
    assert classify_source(click, medium, source, host, frozenset({"eslamed.example"})) == expected


@pytest.mark.parametrize(
    ("peer", "cf", "xff", "expected"),
    [
        ("10.0.0.5", None, "81.2.69.142", "81.2.69.142"),
        ("10.0.0.5", "89.160.20.112", "81.2.69.142", "81.2.69.142"),
        ("10.0.0.5", None, "1.2.3.4, 81.2.69.142, 10.0.0.9", "81.2.69.142"),
        ("203.0.113.9", None, "81.2.69.142", "203.0.113.9"),
        ("203.0.113.9", "81.2.69.142", None, "203.0.113.9"),
        ("10.0.0.5", None, "garbage", "10.0.0.5"),
        ("not-an-ip", None, None, ""),
    ],
)
def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    peer: str, cf: str | None, xff: str | None, expected: str
) -> None:
    assert client_ip(peer, cf, xff, PROXY) == expected


def test_the_bot_verdict_keeps_every_crawler_out_and_every_phone_in() -> None:
    """Issue 22 item 7: crawler-user-agents' patterns (and ua-parser's Spider family) decide; a pattern
    update that matched a real phone, or missed a crawler that reaches the site, fails here."""
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA

    from eslamed.ingest.useragent import classify
    from tests.data.user_agents import CRAWLERS, PHONES

    assert [ua for ua in PHONES if classify(ua).is_bot] == []
    assert [ua for ua in CRAWLERS if not classify(ua).is_bot] == []
    examples = [ua[:512] for entry in CRAWLER_USER_AGENTS_DATA for ua in entry.get("instances", [])]
    assert len(examples) > 1000
    assert [ua for ua in examples if not classify(ua).is_bot] == []


def test_a_steps_name_is_its_drop_reason_and_its_timing_label(geo: GeoLookup) -> None:
    """The reason /metrics counts a dropped event under, and the label its time is under, is the step's name."""
    from prometheus_client import REGISTRY

    def drop_everything(event: dict, ctx: pipeline.Context) -> pipeline.Event | pipeline.Drop:
        return pipeline.DROP

    steps = (*pipeline.PIPELINE[:2], ("not_wanted", drop_everything), *pipeline.PIPELINE[2:])
    assert pipeline.run(event(), ctx(geo), steps) == pipeline.Drop("not_wanted")

    def timed(step: str) -> float:
        return REGISTRY.get_sample_value("eslamed_ingest_step_seconds_count", {"step": step}) or 0.0

    before = {name: timed(name) for name, _ in pipeline.PIPELINE}
    assert not isinstance(pipeline.run_timed(event(), ctx(geo)), pipeline.Drop)
    assert {name: timed(name) - before[name] for name, _ in pipeline.PIPELINE} == {
        "bot": 1,
        "clamp_timestamp": 1,
        "geolocate": 1,
        "page": 1,
        "classify_traffic": 1,
        "key_visit": 1,
    }
