"""Each chaos scenario, shortened for CI: acknowledged events are never lost."""

from pathlib import Path

import pytest

from tests.chaos.scenarios import SCENARIOS

SHORT = {
    "kill_workers": 15,
    "clickhouse_restart": 15,
    "clickhouse_pause": 16,
    "spool_full": 16,
    "server_restart": 10,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_loses_no_acknowledged_event(name: str, tmp_path: Path) -> None:
    tally = SCENARIOS[name](SHORT[name], tmp_path)
    print(tally)
    assert tally.acknowledged > 0
    assert tally.lost == 0
    assert tally.stored == tally.acknowledged
    if name == "spool_full":
        assert tally.answers_503 > 0, "a full spool must shed load with 503"
