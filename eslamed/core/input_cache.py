"""A memo cache that a client cannot fill with large values.

`lru_cache(maxsize=n)` bounds the number of entries, not their size: a cache keyed by a
header or a URL that the client chooses keeps n of the longest values it is allowed to
send (16,384 entries of an 8 KB `X-Forwarded-For` is over 100 MB per worker, and every
distinct value is a new entry). Calls whose string arguments are longer than `max_chars`
together are computed and not remembered, so one cache holds at most about
`maxsize * max_chars` characters of client input. The values worth caching (addresses,
ordinary user agents and URLs) are short; the long ones are rare and cost one computation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def cache_short_inputs(maxsize: int, max_chars: int) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(*args: Any) -> Any:
            size = 0
            for arg in args:
                if arg.__class__ is str:
                    size += len(arg)
            if size > max_chars:
                return fn(*args)
            return cached(*args)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate
