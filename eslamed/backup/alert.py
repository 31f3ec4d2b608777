"""A failed nightly backup must be noticed: one log line always, a Telegram message if configured."""

from __future__ import annotations

import sys

import requests

from eslamed.core.config import Settings


def report_failure(settings: Settings, message: str) -> None:
    sys.stderr.write(f"eslamed backup FAILED: {message}\n")
    token, chat = settings.get("TELEGRAM_BOT_TOKEN"), settings.get("TELEGRAM_CHAT_ID")
    if not token or not chat:
        return
    base = (settings.get("TELEGRAM_API_BASE") or "https://api.telegram.org").rstrip("/")
    try:
        reply = requests.post(
            f"{base}/bot{token}/sendMessage",
            json={"chat_id": chat, "text": f"⚠️ Eslamed yedekleme başarısız: {message}"},
            timeout=10,
        )
        reply.raise_for_status()
    except requests.RequestException as exc:
        sys.stderr.write(f"eslamed backup: Telegram alert not sent either: {exc}\n")
