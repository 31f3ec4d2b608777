"""Serves the admin PWA (the static files in pwa/) at /admin/.

Strict CSP (no inline script or style), and the service worker is never cached by HTTP so
a new version reaches the owner's phone on the next visit.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, redirect, send_from_directory

PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MIME = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}

bp = Blueprint("admin_pwa", __name__)


def _file(name: str) -> Response:
    path = PWA_DIR / name
    if not path.is_file() or PWA_DIR not in path.resolve().parents:
        abort(404)
    response = send_from_directory(PWA_DIR, name, mimetype=MIME.get(path.suffix), max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/admin/"
    return response


@bp.get("/admin")
def admin_root() -> Response:
    return redirect("/admin/", code=301)


@bp.get("/admin/")
def index() -> Response:
    return _file("index.html")


@bp.get("/admin/<path:name>")
def static_file(name: str) -> Response:
    return _file(name)
