"""Where the repository and the test data live."""

from eslamed.devtools.paths import GEOIP_CITY, GEOIP_DIR, REPO

GEOIP_BROKEN = GEOIP_DIR / "GeoIP2-City-Test-Broken-Double-Format.mmdb"
ARTIFACTS = REPO / "tests" / "artifacts"

__all__ = ["ARTIFACTS", "GEOIP_BROKEN", "GEOIP_CITY", "GEOIP_DIR", "REPO"]
