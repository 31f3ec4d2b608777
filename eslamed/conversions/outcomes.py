"""How a gRPC failure that covers a whole request turns into per-sale outcomes (both backends)."""

from __future__ import annotations

from eslamed.conversions.model import MAX_BACKOFF_S, RETRY, Outcome
from eslamed.conversions.reasons import google_reason

TRANSIENT = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "INTERNAL", "ABORTED"})
"""Google or the network is busy: the same request may succeed later."""

ACCESS = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
"""The sale is fine but our credentials are not: keep it and retry slowly while the owner fixes them."""


def request_wide(code: str) -> Outcome | None:
    """The outcome every sale in a failed request shares, or None when the failure may be one sale's."""
    if code in TRANSIENT:
        return Outcome(RETRY, google_reason(code))
    if code in ACCESS:
        return Outcome(RETRY, google_reason(code), retry_after_s=MAX_BACKOFF_S)
    return None
