"""Parsing the page and referrer addresses a client sends, without ever raising.

`urlsplit` raises ValueError for shapes a browser never sends but anyone can post
("http://[::1/acil", an unclosed IPv6 bracket, NFKC-forbidden characters in the host).
Validation refuses those with a 400 naming the field; everything downstream parses through
here as well, so a value that slipped in some other way (an old row, a journal replay) is
shown as text instead of crashing a request or a notification.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from eslamed.core.input_cache import cache_short_inputs


@cache_short_inputs(maxsize=4096, max_chars=512)
def split_url(url: str) -> SplitResult | None:
    """The parts of `url`, or None when Python's parser refuses it."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def referrer_form(ref: str) -> str:
    """A bare name such as "google" (the beacon spec allows it) is read as a host."""
    return ref if "//" in ref else f"//{ref}"
