"""Where the repository and the shared data (MaxMind test databases) live, for dev tools and tests."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ESLAMED_SHARED_DIR", REPO.parent / "shared"))
GEOIP_DIR = SHARED / "geoip"
GEOIP_CITY = GEOIP_DIR / "GeoIP2-City-Test.mmdb"
