"""Configuration: integrations are typed, off or complete, and a typo stops the server naming the setting."""

from __future__ import annotations

import re

import pytest

from eslamed.core.config import ConfigError, Integrations, load_integrations
from tests.support.paths import REPO


def _integrations(**env: str) -> Integrations:
    return load_integrations(env)


def test_an_integration_is_off_or_complete_and_a_half_set_one_stops_the_server_naming_what_is_missing() -> (
    None
):
    assert (
        _integrations().telegram is None
        and _integrations(TELEGRAM_BOT_TOKEN="", TELEGRAM_CHAT_ID="").telegram is None
    )
    on = _integrations(TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_CHAT_ID="42")
    assert (on.telegram.bot_token, on.telegram.chat_id, on.telegram.api_base) == (
        "123:abc",
        "42",
        "https://api.telegram.org",
    )
    with pytest.raises(
        ConfigError, match="Telegram is half set: TELEGRAM_BOT_TOKEN set but TELEGRAM_CHAT_ID missing"
    ):
        _integrations(TELEGRAM_BOT_TOKEN="123:abc")
    with pytest.raises(
        ConfigError, match=r"WhatsApp notification is half set: .* WHATSAPP_OWNER_NUMBER missing"
    ):
        _integrations(WHATSAPP_PHONE_NUMBER_ID="1", WHATSAPP_TOKEN="t", WHATSAPP_TEMPLATE="yeni_talep")


def test_a_typo_in_an_integration_variable_names_the_setting_it_meant() -> None:
    with pytest.raises(
        ConfigError, match="TELEGRAM_CHATID is not a setting eslamed knows; did you mean TELEGRAM_CHAT_ID"
    ):
        _integrations(TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_CHATID="42")
    with pytest.raises(
        ConfigError, match="BACKUP_KEEP_DAYS is not a setting eslamed knows; did you mean BACKUP_KEEP_DAILY"
    ):
        _integrations(BACKUP_KEEP_DAYS="7")
    with pytest.raises(ConfigError, match="BACKUP_KEEP_DAILY: 'seven' is not a number"):
        _integrations(BACKUP_KEEP_DAILY="seven")


def test_no_module_but_config_reads_the_environment() -> None:
    """gunicorn.conf.py and the dev tools set up processes; everything else takes Settings."""
    readers = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "eslamed").rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text())
    )
    assert readers == ["eslamed/core/config.py"] + [r for r in readers if r.startswith("eslamed/devtools/")]
