"""What every notification channel provides, and how a failed delivery says whether to retry."""

from __future__ import annotations

from typing import Any, Protocol

from eslamed.notify.message import LeadSummary

Target = dict[str, str]  # always has "address" (chat id, phone number, push endpoint)


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    name: str

    def targets(self) -> list[Target]: ...

    def send(self, summary: LeadSummary, target: Target) -> None: ...


def http_failure(status: int, detail: Any = "") -> DeliveryError:
    """Rate limits and server errors are retried; other 4xx mean the request itself is wrong."""
    retryable = status == 429 or status >= 500
    return DeliveryError(f"HTTP {status} {str(detail)[:200]}".strip(), retryable=retryable)
