"""Validation of /api/track bodies, without a server."""

import uuid

import orjson
import pytest

from eslamed.core.problems import Problem
from eslamed.ingest.validate import MAX_BATCH, validate_track_body

EID = str(uuid.uuid4())


def body(obj: object) -> bytes:
    return orjson.dumps(obj)


def test_single_event_from_the_product_spec_is_accepted_and_gets_an_id() -> None:
    events = validate_track_body(
        body({"type": "pageview", "gclid": "AbCd", "url": "/hizmetler/oksijen-tupu", "ref": "google"})
    )
    assert len(events) == 1
    assert events[0]["gclid"] == "AbCd" and events[0]["ref"] == "google"
    assert uuid.UUID(events[0]["event_id"])
    assert events[0]["title"] == "" and events[0]["props"] == {}


def test_batch_keeps_browser_ids_and_props() -> None:
    events = validate_track_body(
        body({"events": [{"type": "scroll", "event_id": EID, "props": {"depth": 50, "variant": "acil"}}]})
    )
    assert events[0]["event_id"] == EID
    assert events[0]["props"] == {"depth": "50", "variant": "acil"}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (b"{not json", "", "malformed JSON"),
        (b"", "", "empty body"),
        (b'{"type": "pageview", "url": "\xff\xfe"}', "", "malformed JSON"),
        (b'{"type": "pageview", "ts": NaN}', "", "malformed JSON"),
        (b"[" * 2000 + b"]" * 2000, "", "malformed JSON"),
        (body({"url": "/x"}), "type", "type is required"),
        (body({"type": "purchase"}), "type", "unknown type"),
        (body({"type": 5}), "type", "unknown type"),
        (body({"type": "pageview", "url": 7}), "url", "url must be a string"),
        (body({"type": "pageview", "url": "/" + "a" * 10_000}), "url", "longer than 2048"),
        (body({"type": "pageview", "event_id": "not-a-uuid"}), "event_id", "not a valid UUID"),
        (body({"type": "pageview", "ts": "yesterday"}), "ts", "ts must be a number"),
        (body({"type": "pageview", "ts": True}), "ts", "ts must be a number"),
        (body({"type": "pageview", "props": {"a": {"b": 1}}}), "props.a", "strings or numbers"),
        (body({"type": "pageview", "props": {str(i): "x" for i in range(21)}}), "props", "more than 20"),
        (body({"events": [{"type": "click"}] * (MAX_BATCH + 1)}), "events", "at most 50"),
        (body({"events": []}), "events", "events is empty"),
        (body({"events": {"type": "click"}}), "events", "must be an array"),
        (body({"events": [{"type": "click"}, {"type": "nope"}]}), "events[1].type", "unknown type"),
        (body(["pageview"]), "", "must be a JSON object"),
        (b"x" * (16 * 1024 + 1), "", "larger than"),
    ],
)
def test_bad_input_is_rejected_with_the_field(raw: bytes, field: str, message: str) -> None:
    with pytest.raises(Problem) as caught:
        validate_track_body(raw)
    assert caught.value.field == field
    assert message in caught.value.message


def test_a_prop_name_we_cannot_store_is_left_out_and_the_event_kept() -> None:
    """Names over 64 characters or holding NUL: the contract (OpenAPI 3.0) cannot forbid them."""
    body = orjson.dumps({"type": "click", "props": {"a\x00b": "x", "k" * 65: "y", "k" * 64: "z", "ok": 1}})
    [event] = validate_track_body(body)
    assert event["props"] == {"k" * 64: "z", "ok": "1"}
