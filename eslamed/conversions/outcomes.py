"""How a failure that covers a whole request turns into per-sale outcomes (both backends).

A request-wide failure says nothing about any one sale (a retired API version, a wrong
account setting, Google down), so it never makes a sale FAILED: every sale of the request
is kept for a retry, and the account gets an alert (log line + metric) so someone fixes it.
"""

from __future__ import annotations

import logging
import uuid

from eslamed.conversions.model import MAX_BACKOFF_S, RETRY, Outcome, Sale
from eslamed.conversions.reasons import TOKEN_UNREACHABLE, request_problem
from eslamed.core import metrics

log = logging.getLogger(__name__)

TRANSIENT = frozenset(
    {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "INTERNAL", "ABORTED", TOKEN_UNREACHABLE}
)
"""Google or the network is busy: the same request may succeed later, no one needs to act."""

ACCESS = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
"""The sale is fine but our credentials are not: keep it and retry slowly while the owner fixes them."""

SLOW_RETRY_S = MAX_BACKOFF_S
"""Account settings change by hand; asking more often than this only spends quota."""


def request_wide(code: str, detail: str = "", retry_after_s: float | None = None) -> Outcome:
    """The outcome every sale of a request shares when the request as a whole failed."""
    if code in ACCESS:
        retry_after_s = SLOW_RETRY_S
    return Outcome(RETRY, request_problem(code, detail), retry_after_s=retry_after_s, keep_trying=True)


def alert(backend: str, account: str, code: str, detail: str = "") -> None:
    """Account-level signal for a request problem: transient ones are counted, the rest also logged loudly."""
    metrics.CONVERSION_REQUEST_ERRORS.labels(backend, code).inc()
    if code in TRANSIENT:
        log.warning(
            "Google %s request for account %s failed (%s): %s; will retry", backend, account, code, detail
        )
    else:
        log.error(
            "Google %s refused the request for account %s (%s): %s; sales are kept and retried, "
            "the account or the API setting needs attention",
            backend,
            account,
            code,
            detail,
        )


def request_failed(
    backend: str, account: str, sales: list[Sale], code: str, detail: str, retry_after_s: float | None = None
) -> dict[uuid.UUID, Outcome]:
    """Every sale of a failed request kept for a retry, with the account alerted once."""
    alert(backend, account, code, detail)
    shared = request_wide(code, detail, retry_after_s)
    return {sale.conversion_id: shared for sale in sales}
