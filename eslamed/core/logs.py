"""Logging for every process, with redaction: phone numbers and secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from eslamed.core.phone import mask_phone

# Phone separators as typed or as they reach a request line: space, "-", "+", and their URL escapes.
_SEP = r"(?:[ \-+]|%20|%2[Bb]|%2[Dd])"
# "(532)" only in the middle of a number: a trailing "(12345)" is a pid, as in gunicorn's
# "Listening at: http://127.0.0.1:8000 (12345)".
_GROUP = rf"(?:\(|%28)\d+(?:\)|%29)(?={_SEP}*\d)"
# A run of 9+ digits with such separators (no dots: versions and IPs), from the start of a value or
# right after an escaped separator; not glued to letters, and not a clock time ("2026-11-26 22:49").
PHONE = re.compile(
    rf"(?:(?<=%20)|(?<=%2B)|(?<=%2b)|(?<![\w%]))((?:\+|%2[Bb])?(?:{_GROUP}|\d)(?:{_SEP}|{_GROUP}|\d)*\d)(?![\w:])"
)
_ESCAPES = re.compile(r"%2[0BbDd89]")


def mask_phones(text: str) -> str:
    """Mask anything that looks like a phone number, whoever logged it and however it was typed."""

    def masked(match: re.Match[str]) -> str:
        found = _ESCAPES.sub(" ", match.group(1)).strip()
        digits = re.sub(r"\D", "", found)
        if len(digits) < 9:
            return match.group(1)
        return mask_phone(
            ("+" if found.startswith("+") or match.group(1)[:3] in ("%2B", "%2b") else "") + digits
        )

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
