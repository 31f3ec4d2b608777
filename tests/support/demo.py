"""A server on a FakeClock for the demo week (eslamed.devtools.demo_traffic), as `bash ops/dev.sh run` starts it.

Tests seed with `site=SITE`, the origin the server is configured for, so the week's own-site referrers
read as in production."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from eslamed.devtools import demo_traffic
from eslamed.devtools.fake_clock import FakeClock
from eslamed.devtools.server_process import ServerProcess
from tests.support.leads import lead_env


def demo_week_server(
    make_server: Callable[..., ServerProcess], clickhouse, store, workdir: Path, now: datetime
) -> tuple[ServerProcess, FakeClock]:
    clock = FakeClock(workdir / "clock")
    start = demo_traffic.week_start(now)
    # the demo client stands in for the site's proxy: each visitor's own address in X-Forwarded-For
    env = {**lead_env(), **clock.env(start), "TRUSTED_PROXIES": "127.0.0.1/32"}
    return make_server(clickhouse, store, workers=1, **env), clock
