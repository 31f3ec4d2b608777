"""A small Turkish City database for the run command and its demo week, built with a MaxMind writer library.

The MaxMind test databases hold no Turkish address, so a local run would show every visitor as
"(bilinmiyor)". This sample maps a few /24 networks to Istanbul districts in the same layout as a real
GeoIP2/GeoLite2 City database (country.iso_code, subdivisions[].names, city.names), so the reader in
eslamed/ingest/geo.py treats it as it treats production's. It is sample data: production uses a real City
database (ops/README.md, "GeoIP").
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

# (network, Istanbul district); documentation-sized sample networks of Turkish providers' ranges.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("78.160.10.0/24", "Bağcılar"),
    ("78.160.20.0/24", "Esenyurt"),
    ("85.96.30.0/24", "Kadıköy"),
    ("85.96.40.0/24", "Üsküdar"),
    ("88.230.50.0/24", "Pendik"),
    ("88.230.60.0/24", "Bakırköy"),
    ("95.70.70.0/24", "Şişli"),
    ("95.70.80.0/24", "Beşiktaş"),
)


def build(path: Path) -> Path:
    """Write the sample database to `path` (once; an existing file is kept) and return it."""
    if path.exists():
        return path
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en", "tr"],
        description="Eslamed Capture sample: Istanbul districts (not real geolocation data)",
    )
    for network, district in DISTRICTS:
        writer.insert_network(
            IPSet([network]),
            {
                "country": {"iso_code": "TR", "names": {"en": "Turkey", "tr": "Türkiye"}},
                "subdivisions": [{"iso_code": "34", "names": {"en": "Istanbul", "tr": "İstanbul"}}],
                "city": {"names": {"en": district, "tr": district}},
            },
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    writer.to_db_file(str(part))
    part.replace(path)
    return path


def address_for(number: int) -> str:
    """The sample's address number `number` (0 to 2,031): consecutive numbers go round the districts, so
    every visitor of a demo gets an address, and a district, of their own."""
    network = ipaddress.ip_network(DISTRICTS[number % len(DISTRICTS)][0])
    return str(network[1 + number // len(DISTRICTS)])
