"""Telegram Bot API `sendMessage` to the owner's chat."""

from __future__ import annotations

import requests

from eslamed.core.config import Settings
from eslamed.notify.channel import DeliveryError, Target, http_failure
from eslamed.notify.message import LeadSummary, telegram_message


class Telegram:
    name = "telegram"

    def __init__(
        self, base_url: str, token: str, chat_id: str, timeout_s: float = 10.0, public_base_url: str = ""
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self.chat_id = chat_id
        self.public_base_url = public_base_url
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> Telegram | None:
        telegram = settings.integrations.telegram
        if telegram is None:
            return None
        return cls(
            telegram.api_base,
            telegram.bot_token,
            telegram.chat_id,
            public_base_url=settings.integrations.public_base_url,
        )

    def targets(self) -> list[Target]:
        return [{"address": self.chat_id}]

    def send(self, summary: LeadSummary, target: Target) -> None:
        text, entities = telegram_message(summary, self.public_base_url)
        body = {
            "chat_id": target["address"],
            "text": text,
            "entities": entities,  # visitor text shown literally: no tappable links, numbers or @mentions
            "disable_web_page_preview": True,
        }
        try:
            response = requests.post(self.url, json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            # the exception text would carry the URL, and with it the bot token
            raise DeliveryError(f"network error: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise http_failure(response.status_code, _description(response))
        if not _ok(response):
            raise DeliveryError(f"Telegram answered ok=false: {_description(response)}", retryable=False)


def _ok(response: requests.Response) -> bool:
    try:
        return bool(response.json().get("ok"))
    except ValueError:
        return False


def _description(response: requests.Response) -> str:
    try:
        return str(response.json().get("description", ""))
    except ValueError:
        return ""
