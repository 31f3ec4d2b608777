"""Where the repository and the shared test data live."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ESLAMED_SHARED_DIR", REPO.parent / "shared"))
GEOIP_DIR = SHARED / "geoip"
GEOIP_CITY = GEOIP_DIR / "GeoIP2-City-Test.mmdb"
GEOIP_BROKEN = GEOIP_DIR / "GeoIP2-City-Test-Broken-Double-Format.mmdb"
ARTIFACTS = REPO / "tests" / "artifacts"
