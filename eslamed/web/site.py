"""Serves the built site (SITE_DIST) from Flask, for the local run and single-box deploys.

Pretty URLs map to folder/index.html (`/acil` -> acil/index.html). Hashed assets are cached
for a year as immutable; pages are revalidated on every visit so a new build shows at once.
The route's converter never matches /api, /admin, /healthz, /readyz or /metrics, so the
site cannot shadow the API even for a method or path those blueprints do not define.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, request, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HOURLY = "public, max-age=3600"
HASHED_ASSET = re.compile(r"^assets/.+\.[0-9a-f]{10}\.[a-z0-9]+$")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SitePathConverter(PathConverter):
    regex = r"(?!(?:api|admin)(?:/|$)|(?:healthz|readyz|metrics)$)[^/].*?"


bp = Blueprint("site", __name__)
bp.record_once(lambda state: state.app.url_map.converters.setdefault("sitepath", SitePathConverter))


@cache
def _dist(configured: str) -> Path:
    return Path(configured).resolve()


def site_dist() -> Path:
    return _dist(str(current_app.extensions["eslamed"].settings.site_dist))


def _file(dist: Path, name: str, cache_control: str, status: int = 200) -> Response:
    # Only a 200 may turn into a 304; an error page is always sent whole.
    response = send_from_directory(dist, name, max_age=None, conditional=status == 200)
    if status != 200:
        response.status_code = status
    response.headers["Cache-Control"] = cache_control
    if name.endswith(".html"):
        response.headers.update(SECURITY_HEADERS)
    return response


def _not_found(dist: Path) -> Response:
    if (dist / "404.html").is_file():
        return _file(dist, "404.html", REVALIDATE, status=404)
    return Response("Site henüz derlenmedi: eslamed site build\n", 404, mimetype="text/plain")


def _target(path: str) -> tuple[str, str]:
    """The file for a URL path and its Cache-Control."""
    if HASHED_ASSET.match(path):
        return path, IMMUTABLE
    if path in ("robots.txt", "sitemap.xml"):
        return path, HOURLY
    return (f"{path}/index.html" if path else "index.html"), REVALIDATE


@bp.get("/")
@bp.get("/<sitepath:path>")
def page(path: str = "") -> Response:
    dist = site_dist()
    if path.endswith("/"):
        # /acil/ -> /acil, keeping the query: it may carry the ad click id. Only for real pages,
        # so a crafted path can never become a redirect to another site.
        bare = path.rstrip("/")
        index = safe_join(str(dist), bare, "index.html")
        if not bare or index is None or not Path(index).is_file():
            return _not_found(dist)
        query = request.query_string.decode("latin-1")
        return redirect(f"/{quote(bare)}" + (f"?{query}" if query else ""), code=301)
    name, cache_control = _target(path)
    try:
        return _file(dist, name, cache_control)
    except NotFound:
        return _not_found(dist)
