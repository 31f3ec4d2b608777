"""The built site served by the real gunicorn: pretty URLs, caching, and no shadowing of the API."""

# Turkish UI strings use the dotless i (U+0131), which RUF001 flags as a look-alike.
from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.conftest import migrated_store
from tests.support.browser import MOBILE_UA
from tests.support.server import METRICS_AUTH, ServerProcess, base_env
from tests.support.site import build_into

HEADERS = {"User-Agent": MOBILE_UA}


@pytest.fixture(scope="module")
def served(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    workdir = tmp_path_factory.mktemp("serve")
    built = build_into(workdir)
    store = migrated_store(clickhouse)
    env = base_env(clickhouse.url, store.database, workdir)
    env["SITE_DIST"] = str(built.out)
    server = ServerProcess(env, workdir, workers=1).start()
    yield server.url, built
    server.stop()
    store.close()


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, headers={**HEADERS, **kwargs.pop("headers", {})}, timeout=5, **kwargs)


def test_pretty_urls_serve_pages_that_revalidate(served) -> None:
    url, _ = served
    for path, text in (
        ("/", "7/24 medikal oksijen"),
        ("/acil", "Acil oksijen"),
        ("/hizmetler/kiralama", "kiralama"),
    ):
        answer = get(url + path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert answer.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert text in answer.text
    first = get(url + "/fiyat")
    again = get(url + "/fiyat", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_hashed_assets_are_immutable_and_unhashed_names_are_not_served(served) -> None:
    url, built = served
    answer = get(url + built.assets["tracking.js"])
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Type"].startswith("text/javascript")
    assert answer.content == (built.out / built.assets["tracking.js"].lstrip("/")).read_bytes()
    assert get(url + "/assets/tracking.js").status_code == 404
    assert get(url + "/sitemap.xml").headers["Cache-Control"] == "public, max-age=3600"
    assert get(url + "/robots.txt").text.startswith("User-agent: *")


def test_trailing_slash_redirects_and_keeps_the_click_id(served) -> None:
    url, _ = served
    answer = get(url + "/acil/?gclid=TEST-GCLID-1&utm_source=google", allow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["Location"].endswith("/acil?gclid=TEST-GCLID-1&utm_source=google")
    # Only real pages redirect, so no crafted path can send a visitor to another site.
    assert get(url + "/%5Cevil.example/", allow_redirects=False).status_code == 404


def test_unknown_paths_get_the_turkish_404_page(served) -> None:
    url, _ = served
    for path in ("/yok", "/assets/..%2f..%2fetc%2fpasswd", "/acil/index.html/x"):
        answer = get(url + path)
        assert answer.status_code == 404, path
        assert "Sayfa bulunamadı" in answer.text


def test_the_site_never_answers_for_api_admin_or_health_paths(served) -> None:
    url, _ = served
    assert get(url + "/healthz").json() == {"status": "ok"}
    assert get(url + "/metrics", headers=METRICS_AUTH).headers["Content-Type"].startswith("text/plain")
    for path in ("/api/lead", "/api/unknown", "/admin/", "/admin/x", "/readyz"):
        for method in ("GET", "POST"):
            answer = requests.request(method, url + path, headers=HEADERS, timeout=5)
            assert "data-sticky-bar" not in answer.text, (method, path)
            if path == "/api/unknown" or (path, method) == ("/admin/x", "GET"):
                assert answer.status_code == 404, (method, path)
            if (path, method) == ("/admin/x", "POST"):
                assert answer.status_code == 405, "the admin PWA's GET-only route, not the site"
