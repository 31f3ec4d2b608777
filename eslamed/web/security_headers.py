"""Security headers for every response: site, admin PWA and API.

Added in one place (the WSGI dispatcher) so no route can forget them; a route that sets a
header itself keeps its own value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from eslamed.web.client_address import Network

COMMON = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
CSP_API = "default-src 'none'; frame-ancestors 'none'"
CSP_ADMIN = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CSP_SITE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def content_security_policy(path: str) -> str:
    if path.startswith("/api/") or path in ("/metrics", "/healthz", "/readyz"):
        return CSP_API
    if path.startswith("/admin"):
        return CSP_ADMIN
    return CSP_SITE


def is_https(environ: dict[str, Any], proxies: Sequence[Network]) -> bool:
    """TLS ends at the proxy in production; believe its X-Forwarded-Proto only when the peer is trusted."""
    if environ.get("wsgi.url_scheme") == "https":
        return True
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https"
    return forwarded and _trusted(environ.get("REMOTE_ADDR", ""), tuple(proxies))


@lru_cache(maxsize=1024)
def _trusted(peer: str, proxies: tuple[Network, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(addr in net for net in proxies)


def headers_for(path: str, https: bool) -> list[tuple[str, str]]:
    headers = [*COMMON, ("Content-Security-Policy", content_security_policy(path))]
    if https:
        headers.append(HSTS)
    return headers
