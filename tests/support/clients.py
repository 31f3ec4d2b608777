"""HTTP helpers that behave like real browsers (our bot filter drops anything else)."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlsplit

import orjson

BROWSER_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
HEADERS = {"User-Agent": BROWSER_UA, "Content-Type": "application/json"}


def new_event(kind: str = "pageview", **fields: object) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": kind, "url": "/hizmetler/oksijen-tupu", **fields}


def post_raw(
    base_url: str, path: str, body: bytes, headers: dict[str, str] | None = None, source_ip: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One POST over a fresh connection, optionally from a chosen loopback address."""
    return send_raw("POST", base_url, path, body, headers, source_ip)


def send_raw(
    method: str,
    base_url: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection, optionally from a chosen loopback address
    (127.0.0.0/8 is all loopback, so each address is a different client to the server)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(source_ip, 0) if source_ip else None
    )
    try:
        conn.request(method, path, body=body, headers={**HEADERS, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj)
