"""The OpenAPI contract, checked against the live app by schemathesis (positive and negative cases)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import migrated_store
from tests.support.clients import BROWSER_UA
from tests.support.paths import REPO
from tests.support.server import ServerProcess, base_env

schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")


@pytest.fixture(scope="module")
def live_server(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("openapi")
    store = migrated_store(clickhouse)
    env = base_env(clickhouse.url, store.database, workdir)
    env["TRACK_RATE_LIMIT"] = "1000000/minute"
    server = ServerProcess(env, workdir, workers=1).start()
    yield server
    server.stop()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_contract(case, live_server: ServerProcess) -> None:
    case.call_and_validate(base_url=live_server.url, headers={"User-Agent": BROWSER_UA}, timeout=10)
