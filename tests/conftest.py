"""Shared fixtures: a real ClickHouse server per test session and a fresh database per test."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eslamed.core.config import parse_clickhouse_url
from eslamed.core.store import Store
from eslamed.devtools.clickhouse_server import LocalClickHouse
from tests.support.browser import Browser, chromium
from tests.support.retry_after import watch_retry_after
from tests.support.server import ServerProcess, base_env

pytest_plugins = ["tests.support.google_fixtures"]


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM (CI's timeout, a stopped job) ends the run as Ctrl-C does, so every fixture's teardown runs;
    a SIGKILL is covered by the servers themselves (eslamed/devtools/children.py)."""
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _interrupted)


@pytest.fixture(autouse=True)
def every_429_and_503_says_when_to_retry() -> Iterator[None]:
    """tracking.js, the site's form and webhook senders wait Retry-After before they send again."""
    with watch_retry_after() as missing:
        yield
    assert not missing, f"answers without Retry-After: {missing}"


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalClickHouse]:
    server = LocalClickHouse(tmp_path_factory.mktemp("clickhouse"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_clickhouse(tmp_path: Path) -> Iterator[LocalClickHouse]:
    """A private server for tests that stop, pause or kill it."""
    server = LocalClickHouse(tmp_path / "clickhouse")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def migrated_store(server: LocalClickHouse) -> Store:
    database = f"t_{uuid.uuid4().hex[:12]}"
    store = Store(parse_clickhouse_url(f"{server.url}/{database}"), timeout_s=5.0)
    store.migrate()
    return store


@pytest.fixture
def store(clickhouse: LocalClickHouse) -> Iterator[Store]:
    store = migrated_store(clickhouse)
    yield store
    store.close()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator:
    """Factory: make_server(clickhouse, store, workers=2, **env) -> a started gunicorn."""
    started: list[ServerProcess] = []

    def factory(
        ch: LocalClickHouse, store: Store, workers: int = 2, start: bool = True, **env: str
    ) -> ServerProcess:
        settings = base_env(ch.url, store.database, tmp_path)
        settings.update(env)
        server = ServerProcess(settings, tmp_path, workers=workers)
        started.append(server)
        return server.start() if start else server

    try:
        yield factory
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Debian Chromium per test module that asks for it; each test opens its own context."""
    with chromium() as launched:
        yield launched
