"""The suite-wide Retry-After watch (tests/support/retry_after.py) sees what it claims to see."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from eslamed.core.problems import Problem
from eslamed.web import edge
from tests.support.retry_after import missing_retry_after, watch_retry_after


@pytest.fixture(autouse=True)
def every_429_and_503_says_when_to_retry() -> None:
    """Off here: these tests make a bad answer on purpose, to show the watch catches it."""


def test_a_503_of_ours_without_retry_after_is_caught_and_a_peers_is_not() -> None:
    assert missing_retry_after(503, {}, ours=True) == "503 without Retry-After ()"
    assert missing_retry_after(429, {"Retry-After": "60"}, ours=True) is None
    assert missing_retry_after(503, {}, ours=False) is None
    assert missing_retry_after(500, {}, ours=True) is None


def test_the_watch_sees_flask_answers() -> None:
    app = Flask(__name__)
    app.add_url_rule("/bare", "bare", lambda: Response("no", status=503))
    edge.install(app)

    def refuse() -> Response:
        raise Problem("slow down", code="rate_limited", status=429, retry_after_s=7)

    app.add_url_rule("/edge", "edge", refuse)
    with watch_retry_after() as missing:
        answered = app.test_client().get("/edge")
        assert (answered.status_code, answered.headers["Retry-After"]) == (429, "7")
        app.test_client().get("/bare")
    assert missing == ["503 without Retry-After (text/html; charset=utf-8) /bare"]


def test_a_problem_that_asks_for_a_retry_must_say_when() -> None:
    with pytest.raises(ValueError, match="retry_after_s"):
        Problem("busy", status=503)
