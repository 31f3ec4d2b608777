"""The OpenAPI contract, checked against the live app by schemathesis (positive and negative cases)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.conftest import migrated_store
from tests.support.clients import BROWSER_UA
from tests.support.paths import REPO
from tests.support.server import METRICS_TOKEN, ServerProcess, base_env

SECRET = base_env("clickhouse://x", "x", Path("."))["ADMIN_SECRET"]

schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")
# Rules JSON Schema cannot express: a phone's validity is libphonenumber's verdict, a URL's is the URL
# parser's (an event's url/ref it cannot read is refused naming the field), a sale cannot close in the
# future, a paging cursor is a token this server made, stats cover at most a year. Schema-valid
# random values are rightly refused there, so for these operations only the acceptance of positive data
# is not checked (every other check still runs).
SEMANTIC = {
    ("POST", "/api/track"),
    ("POST", "/api/lead"),
    ("GET", "/api/admin/leads"),
    ("GET", "/api/admin/stats"),
    ("POST", "/api/admin/leads/{lead_id}/phone"),
    ("POST", "/api/admin/leads/{lead_id}/convert"),
    ("POST", "/api/admin/conversions/{conversion_id}/fix"),
    # a random conversion id names no conversion (404)
    ("POST", "/api/admin/conversions/{conversion_id}/retry"),
    ("POST", "/api/admin/conversions/{conversion_id}/correct"),
    # a random lead id names no person (404)
    ("GET", "/api/admin/leads/{lead_id}/export"),
    ("POST", "/api/admin/leads/{lead_id}/erase"),
}


@pytest.fixture(scope="module")
def live_server(clickhouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("openapi")
    store = migrated_store(clickhouse)
    env = base_env(clickhouse.url, store.database, workdir)
    env.update(
        TRACK_RATE_LIMIT="1000000/minute", LEAD_RATE_LIMIT="1000000/minute", ADMIN_FAIL_LIMIT="100000/minute"
    )
    server = ServerProcess(env, workdir, workers=1).start()
    yield server
    server.stop()


@schema.auth()
class AdminSecret:
    """Lets schemathesis know how admin calls (and the /metrics scraper) authenticate, so its auth
    checks strip the real header."""

    def get(self, case, context) -> str:
        return METRICS_TOKEN if case.path == "/metrics" else SECRET

    def set(self, case, data: str, context) -> None:
        header = {"Authorization": f"Bearer {data}"} if case.path == "/metrics" else {"X-Admin-Secret": data}
        case.headers = {**(case.headers or {}), **header}


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_matches_its_contract(case, live_server: ServerProcess) -> None:
    excluded = [positive_data_acceptance] if (case.method, case.path) in SEMANTIC else []
    headers = {"User-Agent": BROWSER_UA}
    case.call_and_validate(base_url=live_server.url, headers=headers, excluded_checks=excluded, timeout=10)
