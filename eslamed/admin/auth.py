"""Who may call /api/admin/*: the shared secret, an optional IP allow-list, a cap on failures.

The secret is compared as SHA-256 digests with `hmac.compare_digest`, so neither the
position of the first wrong character nor the length of the guess shows in the timing.
Failed attempts are counted per client IP (an IPv6 client per /64) in the limiter shared
by all workers; past the limit every request from that IP gets 429, right secret or not,
so a guesser learns nothing.
The secret is never logged and never echoed in a response.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from limits import parse as parse_limit
from limits.strategies import RateLimiter

from eslamed.core.problems import Problem
from eslamed.core.ratelimit import rate_key
from eslamed.web.client_address import Network
from eslamed.web.edge import secret_matches

HEADER = "X-Admin-Secret"
FAIL_SCOPE = "admin-auth-fail"


MISSING = Problem(
    "missing X-Admin-Secret header", code="missing_secret", message_tr="Giriş gerekli", status=401
)
WRONG = Problem("wrong admin secret", code="wrong_secret", message_tr="Yanlış şifre", status=401)
IP_REFUSED = Problem(
    "this IP address may not use the admin API",
    code="ip_refused",
    message_tr="Bu adresten erişim izni yok",
    status=403,
)
TOO_MANY = Problem(
    "too many failed attempts; wait and retry",
    code="too_many_failures",
    message_tr="Çok fazla hatalı deneme, biraz bekleyin",
    status=429,
    retry_after_s=60,
)


def ip_allowed(ip: str, allowed: Sequence[Network]) -> bool:
    """An empty allow-list admits everyone; otherwise the client IP must be inside one CIDR."""
    if not allowed:
        return True
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in net for net in allowed)


class AdminGate:
    """The one decision made before every admin route."""

    def __init__(
        self, secret: str, allowed: Sequence[Network], limiter: RateLimiter, fail_limit: str
    ) -> None:
        self._secret = secret
        self.allowed = tuple(allowed)
        self.limiter = limiter
        self.fail_limit = parse_limit(fail_limit)

    def check(self, ip: str, given: str | None) -> Problem | None:
        if not ip_allowed(ip, self.allowed):
            return IP_REFUSED
        key = rate_key(ip)
        if not self.limiter.test(self.fail_limit, FAIL_SCOPE, key):
            return TOO_MANY
        if given and secret_matches(given, self._secret):
            return None
        self.limiter.hit(self.fail_limit, FAIL_SCOPE, key)
        return WRONG if given else MISSING

    def __repr__(self) -> str:
        return f"AdminGate(allowed={self.allowed!r}, fail_limit={self.fail_limit!r})"
