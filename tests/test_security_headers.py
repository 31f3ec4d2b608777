"""Security headers on site, admin and API responses; HSTS only behind TLS from a trusted proxy."""

import ipaddress

from eslamed.web.security_headers import CSP_ADMIN, CSP_API, CSP_SITE, headers_for, is_https
from tests.support.clients import dumps, new_event, post_raw

PROXIES = (ipaddress.ip_network("127.0.0.2/32"),)


def test_policy_per_area() -> None:
    assert dict(headers_for("/api/track", False))["Content-Security-Policy"] == CSP_API
    assert dict(headers_for("/admin/", False))["Content-Security-Policy"] == CSP_ADMIN
    assert dict(headers_for("/fiyat", False))["Content-Security-Policy"] == CSP_SITE
    assert "Strict-Transport-Security" not in dict(headers_for("/", False))
    assert "Strict-Transport-Security" in dict(headers_for("/", True))


def test_forwarded_proto_believed_only_from_trusted_proxy() -> None:
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http"}
    assert is_https({**forwarded, "REMOTE_ADDR": "127.0.0.2"}, PROXIES)
    assert not is_https({**forwarded, "REMOTE_ADDR": "127.0.0.1"}, PROXIES)
    assert is_https({"wsgi.url_scheme": "https", "REMOTE_ADDR": "127.0.0.1"}, PROXIES)


def test_live_responses_carry_the_headers(clickhouse, store, make_server) -> None:
    server = make_server(clickhouse, store, workers=1)
    status, headers, _ = post_raw(server.url, "/api/track", dumps(new_event()))
    assert status == 202
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == CSP_API
    assert "Strict-Transport-Security" not in headers
    _, behind_tls, _ = post_raw(
        server.url, "/api/track", dumps(new_event()), {"X-Forwarded-Proto": "https"}, source_ip="127.0.0.2"
    )
    assert behind_tls["Strict-Transport-Security"].startswith("max-age=")
