"""Logging for every process, with redaction: phone numbers and secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from eslamed.phone import mask_phone

# A run of 9+ digits with phone separators (no dots: versions and IPs), also right after a URL-encoded "+";
# not glued to letters, and not a clock time ("2026-11-26 22:49").
PHONE = re.compile(r"(?:(?<=%2B)|(?<=%2b)|(?<![\w%]))(\+?\d[\d \-()]{7,}\d)(?![\w:])")


def mask_phones(text: str) -> str:
    """Mask anything that looks like a phone number, whoever logged it and however it was typed."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) < 9:
            return match.group(1)
        return mask_phone(("+" if match.group(1).startswith("+") else "") + digits)

    return PHONE.sub(masked, text)


class RedactFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return mask_phones(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = ()
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure(secrets: Iterable[str], level: str = "INFO") -> None:
    """One stderr handler for all loggers; the driver's reconnect tracebacks are cut to errors."""
    redact = RedactFilter(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    handler.addFilter(redact)
    for name in ("gunicorn.error", "gunicorn.access"):
        # gunicorn keeps its own handlers; a logger-level filter survives their re-creation on HUP.
        logging.getLogger(name).addFilter(redact)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("clickhouse_driver").setLevel(logging.ERROR)
