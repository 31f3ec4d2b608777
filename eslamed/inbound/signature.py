"""HMAC-SHA256 request signatures ("sha256=<hex>" of the raw body), as Meta and our call webhook send them."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, secret: str, header: str | None) -> bool:
    """Constant-time: how much of a forged signature matched must not show in the answer's timing."""
    if not secret or not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().lower().encode("utf-8", "replace"))
