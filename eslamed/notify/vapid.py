"""VAPID keys (RFC 8292): the server signs pushes with the private key; the admin PWA subscribes with
the public one (its `applicationServerKey`)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_key(private_key: str) -> str:
    """The uncompressed P-256 point, base64url, for `pushManager.subscribe({applicationServerKey})`."""
    raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(point)


def generate() -> tuple[str, str]:
    """A new key pair as (VAPID_PRIVATE_KEY, public key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, public_key(private)


def cmd_vapid_keys(_args: object) -> int:
    private, public = generate()
    print(f"VAPID_PRIVATE_KEY={private}")
    print(f"# public key (applicationServerKey for the admin PWA): {public}")
    return 0
