"""The one place the suite asserts that every 429 and 503 our server gives says when to retry.

An autouse fixture (tests/conftest.py) watches every response a test reads, through each client the
suite uses: http.client (requests, urllib, the raw posts) and Flask's test client. Responses from
local peers (Google, Telegram, Meta stand-ins) are not ours: ours carry the security headers
(eslamed/web/security_headers.py), or come from the Flask app itself through the test client.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import werkzeug.test

RETRY_STATUSES = (429, 503)
OURS = "Content-Security-Policy"


def missing_retry_after(status: int, headers: Mapping[str, str], ours: bool) -> str | None:
    """What is wrong with one response, or None."""
    if status in RETRY_STATUSES and ours and not headers.get("Retry-After"):
        return f"{status} without Retry-After ({headers.get('Content-Type', '')})"
    return None


@contextmanager
def watch_retry_after() -> Iterator[list[str]]:
    """Collects every offending answer while the block runs; the caller asserts the list is empty."""
    found: list[str] = []
    checked = [0]
    begin = http.client.HTTPResponse.begin
    open_ = werkzeug.test.Client.open

    def watched_begin(self: http.client.HTTPResponse) -> None:
        begin(self)
        checked[0] += 1
        problem = missing_retry_after(self.status, self.headers, ours=OURS in self.headers)
        if problem:
            found.append(problem)

    def watched_open(
        self: werkzeug.test.Client, *args: object, **kwargs: object
    ) -> werkzeug.test.TestResponse:
        response = open_(self, *args, **kwargs)
        problem = missing_retry_after(response.status_code, response.headers, ours=True)
        if problem:
            found.append(f"{problem} {response.request.path}")
        return response

    http.client.HTTPResponse.begin = watched_begin  # type: ignore[method-assign]
    werkzeug.test.Client.open = watched_open  # type: ignore[method-assign]
    try:
        yield found
    finally:
        http.client.HTTPResponse.begin = begin  # type: ignore[method-assign]
        werkzeug.test.Client.open = open_  # type: ignore[method-assign]
