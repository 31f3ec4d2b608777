"""The bodies inbound webhooks post: Meta's Cloud API notifications and our generic call notice.

Pure parsing, no I/O. Anything this code does not act on (status updates, other fields, message
types without text) is skipped, not refused: Meta resends whatever it did not get a 200 for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eslamed.core.problems import Problem

MAX_TEXT = 2000
MAX_NAME = 200


def payload_error(message: str, field: str) -> Problem:
    """The body is not what the sender documents; the message names the part."""
    return Problem(message, field, code="bad_payload", message_tr="Webhook gövdesi beklenen biçimde değil.")


@dataclass(frozen=True)
class WhatsAppMessage:
    message_id: str
    sender: str  # Meta's `from`: digits with country code, no "+"
    text: str
    profile_name: str


@dataclass(frozen=True)
class Notification:
    messages: list[WhatsAppMessage]
    statuses: int


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise payload_error(f"{field} must be a list", field)
    return value


def _obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise payload_error(f"{field} must be an object", field)
    return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _message_text(message: dict[str, Any]) -> str:
    kind = _str(message.get("type"))
    if kind == "text":
        return _str(_obj(message.get("text") or {}, "text").get("body"))
    if kind == "button":
        return _str(_obj(message.get("button") or {}, "button").get("text"))
    caption = message.get(kind) if kind else None
    return _str(caption.get("caption")) if isinstance(caption, dict) else ""


def parse_notification(data: Any) -> Notification:
    """entry[].changes[].value: messages[] (from, id, type, text.body), contacts[].profile.name, statuses."""
    body = _obj(data, "body")
    if body.get("object") != "whatsapp_business_account":
        raise payload_error("object must be whatsapp_business_account", "object")
    messages: list[WhatsAppMessage] = []
    statuses = 0
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(_obj(entry, "entry[]").get("changes"), "entry[].changes"):
            value = _obj(_obj(change, "changes[]").get("value") or {}, "changes[].value")
            names = {
                _str(c.get("wa_id")): _str(_obj(c.get("profile") or {}, "profile").get("name"))
                for c in _list(value.get("contacts"), "value.contacts")
                if isinstance(c, dict)
            }
            statuses += len(_list(value.get("statuses"), "value.statuses"))
            for raw in _list(value.get("messages"), "value.messages"):
                message = _obj(raw, "value.messages[]")
                message_id, sender = _str(message.get("id")), _str(message.get("from"))
                if not message_id or not sender:
                    raise payload_error("a message needs id and from", "value.messages[]")
                messages.append(
                    WhatsAppMessage(
                        message_id=message_id[:200],
                        sender=sender[:32],
                        text=_message_text(message)[:MAX_TEXT],
                        profile_name=names.get(sender, "")[:MAX_NAME],
                    )
                )
    return Notification(messages, statuses)


@dataclass(frozen=True)
class CallNotice:
    key: str
    caller: str
    called: str
    started_at: datetime  # naive UTC
    duration_s: int


def _started_at(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e11:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC).replace(tzinfo=None)
    raise payload_error(
        "started_at must be an ISO 8601 time with its offset (2026-12-02T14:05:00+03:00) or epoch seconds",
        "started_at",
    )


def parse_call(data: Any) -> CallNotice:
    """{"caller", "called", "started_at", "duration_s", optional "call_id"}: see docs/leads.md."""
    body = _obj(data, "body")
    caller = body.get("caller")
    if not isinstance(caller, str) or not caller.strip() or len(caller) > 40:
        raise payload_error("caller must be the calling number (at most 40 characters)", "caller")
    called = body.get("called", "")
    if not isinstance(called, str) or len(called) > 40:
        raise payload_error("called must be the number that was called (at most 40 characters)", "called")
    duration = body.get("duration_s", 0)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration < 86400:
        raise payload_error("duration_s must be whole seconds from 0 to 86399", "duration_s")
    call_id = body.get("call_id", "")
    if not isinstance(call_id, str) or len(call_id) > 200:
        raise payload_error("call_id must be a string of at most 200 characters", "call_id")
    started_at = _started_at(body.get("started_at"))
    natural = f"{caller.strip()}|{called.strip()}|{started_at.isoformat()}"
    key = call_id or hashlib.sha256(natural.encode()).hexdigest()
    return CallNotice(key[:200], caller.strip(), called.strip(), started_at, duration)
