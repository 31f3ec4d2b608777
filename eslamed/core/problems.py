"""The one error type: what went wrong, for the client and for the owner, and when to try again.

Raised anywhere below the web layer (validation, the lead and sale ledgers, the webhooks' payloads)
and rendered in one place, `eslamed.web.edge`, for the bare track endpoint and for Flask alike, so
every error body has one shape and `openapi.yaml` one schema.
"""

from __future__ import annotations

from typing import Any

RETRY_STATUSES = (429, 503)


class Problem(Exception):
    """`message` is English for logs and integrators, `message_tr` the sentence the owner or visitor
    reads; `code` is the machine-readable reason (a metric label, the PWA's switch). A 429 or 503
    must say when to retry: tracking.js and webhook senders wait that long instead of hammering."""

    def __init__(
        self,
        message: str,
        field: str = "",
        *,
        code: str = "invalid",
        message_tr: str = "",
        status: int = 400,
        retry_after_s: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        if status in RETRY_STATUSES and retry_after_s is None:
            raise ValueError(f"a {status} answer needs retry_after_s")
        self.message = message
        self.field = field
        self.code = code
        self.message_tr = message_tr or (f"Geçersiz bilgi: {field}" if field else "Geçersiz istek")
        self.status = status
        self.retry_after_s = retry_after_s
        self.extra = extra

    def as_json(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "field": self.field,
            "message_tr": self.message_tr,
            "message_en": self.message,
            **self.extra,
        }

    def __repr__(self) -> str:
        return f"Problem({self.status}, {self.code!r}, {self.message!r}, field={self.field!r})"


def not_found(message: str, message_tr: str) -> Problem:
    return Problem(message, code="not_found", message_tr=message_tr, status=404)


def conflict(message: str, message_tr: str, **extra: Any) -> Problem:
    return Problem(message, code="conflict", message_tr=message_tr, status=409, **extra)


def unavailable(message: str, message_tr: str, retry_after_s: int, code: str = "unavailable") -> Problem:
    return Problem(message, code=code, message_tr=message_tr, status=503, retry_after_s=retry_after_s)
