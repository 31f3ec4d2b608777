"""The PWA's files as Flask serves them: CSP, service-worker headers, no path escapes, icons that are PNGs."""

from __future__ import annotations

import re

from eslamed.admin.pwa import PWA_DIR
from tests.support.admin import admin_app


def test_pwa_served_with_csp_and_fresh_service_worker(clickhouse, store, tmp_path):
    client = admin_app(clickhouse, store, tmp_path).test_client()
    assert client.get("/admin").headers["Location"].endswith("/admin/")
    index = client.get("/admin/")
    assert index.status_code == 200 and "script-src 'self'" in index.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in index.headers["Content-Security-Policy"]
    sw = client.get("/admin/sw.js")
    assert sw.status_code == 200 and sw.headers["Cache-Control"] == "no-cache"
    assert sw.mimetype == "text/javascript" and sw.headers["Service-Worker-Allowed"] == "/admin/"
    assert client.get("/admin/manifest.webmanifest").mimetype == "application/manifest+json"
    assert client.get("/admin/../eslamed/core/config.py").status_code == 404
    assert client.get("/admin/%2e%2e/setup.cfg").status_code == 404
    assert client.get("/admin/nope.js").status_code == 404


def test_index_has_no_inline_script_or_style_and_sw_caches_every_shell_file():
    html = (PWA_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script> would break the CSP"
    assert "style=" not in html and "<style" not in html and not re.search(r"\son[a-z]+=", html)
    shell_list = re.search(r"const SHELL = \[(.*?)\];", (PWA_DIR / "sw.js").read_text(), re.S).group(1)
    shell = re.findall(r'"(/admin/[^"]*)"', shell_list)
    for path in shell:
        if path == "/admin/":
            continue
        assert (PWA_DIR / path.removeprefix("/admin/")).is_file(), path
    for asset in re.findall(r'(?:src|href)="/admin/([^"]+)"', html):
        assert f"/admin/{asset}" in shell, f"{asset} is not cached for offline use"
    modules = sorted(f"/admin/{p.relative_to(PWA_DIR)}" for p in (PWA_DIR / "js").rglob("*.js"))
    assert modules and set(modules) <= set(shell), "every ES module of the PWA is cached for offline use"


def test_pwa_modules_import_only_files_that_exist():
    """A wrong import path fails the whole app in the browser; the browser tests would show a blank page."""
    for module in (PWA_DIR / "js").rglob("*.js"):
        for target in re.findall(r'^import \{[^}]*\} from "([^"]+)";', module.read_text(), re.M):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"
