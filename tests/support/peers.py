"""Local HTTP peers standing in for Telegram, the WhatsApp Cloud API and a Web Push service.

Each records every request exactly as received (method, path, headers, body) and answers
like the real API; `failing` or `fail_first` make it answer 500 to stage an outage.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from eslamed.notify.vapid import generate


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int
    received_at: float = field(default_factory=time.time)

    def json(self) -> dict:
        return json.loads(self.body)


class Peer:
    def __init__(self, ok_status: int = 200, ok_body: bytes = b"{}") -> None:
        self.ok_status = ok_status
        self.ok_body = ok_body
        self.failing = False
        self.fail_remaining = 0
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with peer._lock:
                    fail = peer.failing or peer.fail_remaining > 0
                    peer.fail_remaining = max(peer.fail_remaining - 1, 0)
                    status = 500 if fail else peer.ok_status
                    peer.requests.append(
                        Recorded(
                            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                        )
                    )
                reply = (
                    b'{"ok":false,"error_code":500,"description":"Internal Server Error"}'
                    if fail
                    else peer.ok_body
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Peer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_first(self, n: int) -> None:
        self.fail_remaining = n

    def delivered(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.status == self.ok_status]


def telegram_peer() -> Peer:
    return Peer(200, b'{"ok":true,"result":{"message_id":1}}')


def whatsapp_peer() -> Peer:
    return Peer(200, b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.test"}]}')


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushDevice:
    """A browser's push subscription: our own ECDH key pair and auth secret, so the test can decrypt."""

    def __init__(self, endpoint: str) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = b"0123456789abcdef"
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = {
            "endpoint": endpoint,
            "keys": {"p256dh": _b64(public), "auth": _b64(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict:
        """RFC 8291 aes128gcm: the sender's public key travels in the record header."""
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


def vapid_private_key() -> str:
    """A fresh VAPID key in the raw base64url form VAPID_PRIVATE_KEY takes."""
    return generate()[0]
