"""A failed nightly backup must be noticed: one log line always, a Telegram message if configured."""

from __future__ import annotations

import sys

import requests

from eslamed.core.config import Settings


def report_failure(settings: Settings, message: str) -> None:
    sys.stderr.write(f"eslamed backup FAILED: {message}\n")
    telegram = settings.integrations.telegram
    if telegram is None:
        return
    try:
        reply = requests.post(
            f"{telegram.api_base.rstrip('/')}/bot{telegram.bot_token}/sendMessage",
            json={"chat_id": telegram.chat_id, "text": f"⚠️ Eslamed yedekleme başarısız: {message}"},
            timeout=10,
        )
        reply.raise_for_status()
    except requests.RequestException as exc:
        sys.stderr.write(f"eslamed backup: Telegram alert not sent either: {exc}\n")
