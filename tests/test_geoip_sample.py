"""The run command's Turkish sample City database (issue 21 item 4): built with the writer library, read by
the same GeoLookup as production's database, and reached through the real /api/track behind a trusted proxy."""

from __future__ import annotations

from pathlib import Path

from eslamed.devtools import geoip_sample
from eslamed.ingest.geo import GeoLookup, Place
from tests.support.clients import HEADERS, dumps, new_event, post_raw
from tests.support.polling import wait_for


def test_sample_maps_its_addresses_to_istanbul_districts(tmp_path: Path) -> None:
    path = geoip_sample.build(tmp_path / "sample.mmdb")
    geo = GeoLookup(path)
    try:
        assert geo.lookup("78.160.10.7") == Place("TR", "Istanbul", "Bağcılar")
        assert geo.lookup("95.70.80.200") == Place("TR", "Istanbul", "Beşiktaş")
        assert geo.lookup("81.2.69.142") == Place()  # outside the sample: unknown, never a guess
        addresses = [geoip_sample.address_for(n) for n in range(2032)]
        assert len(set(addresses)) == 2032, "every demo visitor an address of their own"
        assert {geo.lookup(a).city for a in addresses} == {district for _, district in geoip_sample.DISTRICTS}
    finally:
        geo.close()
    assert geoip_sample.build(path) == path  # kept, not rebuilt


def test_a_visit_forwarded_by_a_trusted_proxy_is_stored_with_its_district(
    clickhouse, store, make_server, tmp_path: Path
) -> None:
    sample = geoip_sample.build(tmp_path / "sample.mmdb")
    server = make_server(clickhouse, store, GEOIP_CITY_DB=str(sample), TRUSTED_PROXIES="127.0.0.1/32")
    address = geoip_sample.address_for(3)
    body = dumps({"events": [new_event(url="https://eslamed.example/fiyat")]})
    status, _, _ = post_raw(server.url, "/api/track", body, {"X-Forwarded-For": address, **HEADERS})
    assert status == 202
    query = f"SELECT country, subdivision, city FROM {store.database}.events"
    rows = wait_for(lambda: store.query(query), what="the event stored")
    expected = next(d for n, d in geoip_sample.DISTRICTS if address.startswith(n.rsplit(".", 1)[0]))
    assert rows == [("TR", "Istanbul", expected)]
