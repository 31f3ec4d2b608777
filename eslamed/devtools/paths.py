"""Where the repository and its test data (the MaxMind test databases, tests/data/geoip) live, for dev tools
and tests. Nothing here reads a folder beside the checkout: a bare clone has everything."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GEOIP_DIR = REPO / "tests" / "data" / "geoip"
GEOIP_CITY = GEOIP_DIR / "GeoIP2-City-Test.mmdb"
