"""Validation of /api/track payloads: pure functions, no server needed to test them.

Errors carry the offending field so the client (and whoever reads the logs) knows exactly
what was wrong; a bad payload is answered 400 and never retried by tracking.js.

Two passes share one set of rules. Good bodies, nearly all traffic, are decoded and checked
in C by msgspec against types built from the tables below. Anything that pass does not
accept goes to the field-by-field Python validator, the reference, which either accepts it
(e.g. `null` for a string) or says exactly which field is wrong and why.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

import msgspec
import msgspec.structs
import orjson

from eslamed.core.problems import Problem
from eslamed.ingest.urls import referrer_form, split_url

MAX_BODY_BYTES = 16 * 1024
TOO_LARGE = Problem(
    f"body larger than {MAX_BODY_BYTES} bytes",
    code="too_large",
    message_tr=f"Veri çok büyük (en fazla {MAX_BODY_BYTES} bayt).",
    status=413,
)
"""Refused on the declared length (the track endpoint's guard) and on the body read (here)."""
MAX_BATCH = 50
MAX_PROPS = 20
MAX_NUMBER = 1e15
# What browsers' crypto.randomUUID() sends; other spellings go through uuid.UUID.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

EVENT_TYPES = frozenset(
    {
        "pageview",
        "click",
        "scroll",
        "error",
        "call_click",
        "whatsapp_click",
        "form_start",
        "consent",
        "custom",
    }
)

# field -> maximum length in characters
STRING_FIELDS: dict[str, int] = {
    "url": 2048,
    "ref": 2048,
    "title": 512,
    "gclid": 512,
    "gbraid": 512,
    "wbraid": 512,
    "utm_source": 256,
    "utm_medium": 256,
    "utm_campaign": 256,
    "utm_term": 256,
    "utm_content": 256,
    "visitor_id": 64,
    "session_id": 64,
    "screen": 32,
    "lang": 35,
}


def parse_json(body: bytes) -> Any:
    """Strict JSON: invalid UTF-8, NaN/Infinity and absurd nesting are rejected by orjson."""
    if not body:
        raise Problem("empty body", "")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(f"malformed JSON: {exc.msg}", "") from exc


def parse_uuid(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise Problem(f"{field} must be a UUID string", field)
    if CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise Problem(f"{field} is not a valid UUID", field) from exc


def check_string(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise Problem(f"{field} must be a string", field)
    if len(value) > max_len:
        raise Problem(f"{field} is longer than {max_len} characters", field)
    if "\x00" in value:
        raise Problem(f"{field} contains a NUL character", field)
    return value


def url_problem(event: dict[str, Any]) -> str:
    """The first of url/ref that the URL parser refuses (ref read as the source classifier reads it)."""
    if event["url"] and split_url(event["url"]) is None:
        return "url"
    if event["ref"] and split_url(referrer_form(event["ref"])) is None:
        return "ref"
    return ""


MAX_PROP_KEY = 64


def _props(value: Any, field: str) -> dict[str, str]:
    """A prop whose name we cannot store (over 64 characters, or holding NUL) is left out, not the
    event: OpenAPI 3.0 cannot state a rule for property names, so such a body is valid by the contract."""
    if not isinstance(value, dict):
        raise Problem("props must be an object of short strings", field)
    if len(value) > MAX_PROPS:
        raise Problem(f"props has more than {MAX_PROPS} keys", field)
    out = {}
    for key, item in value.items():
        if len(key) > MAX_PROP_KEY or "\x00" in key:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise Problem("props values must be strings or numbers", f"{field}.{key}")
        if not isinstance(item, str) and not -MAX_NUMBER <= item <= MAX_NUMBER:
            raise Problem(f"props numbers must be within ±{MAX_NUMBER:.0e}", f"{field}.{key}")
        out[key] = check_string(str(item), f"{field}.{key}", 256)
    return out


def validate_event(raw: Any, prefix: str = "") -> dict[str, Any]:
    """One event, normalised: every known string field present (empty when absent)."""
    if not isinstance(raw, dict):
        raise Problem("event must be a JSON object", prefix.rstrip(".") or "")
    kind = raw.get("type")
    if kind is None:
        raise Problem("type is required", f"{prefix}type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise Problem(f"unknown type; expected one of {', '.join(sorted(EVENT_TYPES))}", f"{prefix}type")
    event: dict[str, Any] = {"type": kind}
    raw_id = raw.get("event_id")
    event["event_id"] = str(uuid.uuid4()) if raw_id is None else parse_uuid(raw_id, f"{prefix}event_id")
    get = raw.get
    for name, max_len in STRING_FIELDS.items():
        value = get(name)
        if value is None:
            event[name] = ""
        elif type(value) is str and len(value) <= max_len and "\x00" not in value:
            event[name] = value  # the common case, checked inline: this loop runs 15 times per event
        else:
            event[name] = check_string(value, f"{prefix}{name}", max_len)
    bad_url = url_problem(event)
    if bad_url:
        raise Problem(f"{bad_url} is not a parseable URL", f"{prefix}{bad_url}")
    ts = raw.get("ts")
    bad_ts = isinstance(ts, bool) or not isinstance(ts, int | float) or not 0 <= ts <= MAX_NUMBER
    if ts is not None and bad_ts:
        raise Problem("ts must be a number of milliseconds since the epoch", f"{prefix}ts")
    event["ts"] = ts
    props = raw.get("props")
    event["props"] = {} if props is None else _props(props, f"{prefix}props")
    return event


def _text(max_len: int) -> Any:
    return Annotated[str, msgspec.Meta(max_length=max_len)]


_PROP_VALUE = (
    _text(256)
    | Annotated[int, msgspec.Meta(ge=-int(MAX_NUMBER), le=int(MAX_NUMBER))]
    | Annotated[float, msgspec.Meta(ge=-MAX_NUMBER, le=MAX_NUMBER)]
)
_TS = (
    Annotated[int, msgspec.Meta(ge=0, le=int(MAX_NUMBER))]
    | Annotated[float, msgspec.Meta(ge=0, le=MAX_NUMBER)]
    | None
)
_FastEvent = msgspec.defstruct(
    "_FastEvent",
    [
        ("type", Literal[tuple(sorted(EVENT_TYPES))]),  # type: ignore[valid-type]
        ("event_id", Annotated[str, msgspec.Meta(pattern=rf"^{CANONICAL_UUID.pattern}\Z")] | None, None),
        *((name, _text(max_len), "") for name, max_len in STRING_FIELDS.items()),
        ("ts", _TS, None),
        (
            "props",
            Annotated[dict[_text(MAX_PROP_KEY), _PROP_VALUE], msgspec.Meta(max_length=MAX_PROPS)],
            msgspec.field(default_factory=dict),
        ),
    ],
)
_FastBatch = msgspec.defstruct(
    "_FastBatch",
    [("events", Annotated[list[_FastEvent], msgspec.Meta(min_length=1, max_length=MAX_BATCH)])],  # type: ignore[valid-type]
)
_DECODE_ONE = msgspec.json.Decoder(_FastEvent).decode
_DECODE_BATCH = msgspec.json.Decoder(_FastBatch).decode
_as_dict = msgspec.structs.asdict
_NOT_A_BATCH = "Object missing required field `events`"


def _decode(body: bytes) -> list[Any]:
    """A batch when the top-level object has `events` (as the reference decides), else one event."""
    if b'"events"' in body:
        try:
            return _DECODE_BATCH(body).events
        except msgspec.ValidationError as exc:
            if str(exc) != _NOT_A_BATCH:  # "events" was only a value, e.g. a page called events
                raise
    return [_DECODE_ONE(body)]


def _fast_events(body: bytes) -> list[dict[str, Any]] | None:
    """The events of a body that passes every rule, or None to let the reference validator judge
    it. msgspec skips unknown fields unread, so UTF-8 is checked for the whole body here, and an
    escaped NUL anywhere sends the body to the reference (JSON can hold a NUL only as \\u0000)."""
    if b"\\u0000" in body:
        return None
    try:
        body.decode()
        raw = _decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    events = []
    for item in raw:
        event = _as_dict(item)
        if url_problem(event):
            return None
        if item.event_id is None:
            event["event_id"] = str(uuid.uuid4())
        props = item.props
        if props and any(type(value) is not str for value in props.values()):
            event["props"] = {key: str(value) for key, value in props.items()}
        events.append(event)
    return events


def validate_track_body(body: bytes) -> list[dict[str, Any]]:
    """A single event object or {"events": [...]} with 1..50 events."""
    if len(body) > MAX_BODY_BYTES:
        raise TOO_LARGE
    events = _fast_events(body)
    return reference_events(body) if events is None else events


def reference_events(body: bytes) -> list[dict[str, Any]]:
    """The reference validator: slower, and the one that names the wrong field."""
    data = parse_json(body)
    if isinstance(data, dict) and "events" in data:
        events = data["events"]
        if not isinstance(events, list):
            raise Problem("events must be an array", "events")
        if not events:
            raise Problem("events is empty", "events")
        if len(events) > MAX_BATCH:
            raise Problem(f"at most {MAX_BATCH} events per request", "events")
        return [validate_event(item, f"events[{i}].") for i, item in enumerate(events)]
    return [validate_event(data)]
