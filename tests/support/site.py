"""Build the real site into a test folder and serve it from a real gunicorn."""

from __future__ import annotations

from pathlib import Path

from eslamed.site.builder import BuildResult, build_site
from tests.support.paths import REPO

SITE_SOURCE = REPO / "site"


def build_into(folder: Path) -> BuildResult:
    return build_site(SITE_SOURCE, folder / "dist")
