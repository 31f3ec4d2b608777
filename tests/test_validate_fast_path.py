"""The C fast path of /api/track validation never accepts what the reference validator rejects,
and accepts bodies into exactly the events the reference would build."""

import json
import uuid

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eslamed.core.problems import Problem
from eslamed.ingest.validate import EVENT_TYPES, STRING_FIELDS, _fast_events, reference_events

TEXT = st.text(max_size=70) | st.sampled_from(["", "a" * 2049, "\x00", "ç" * 64, "ı" * 65])
ODD = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | TEXT
PROP_VALUE = TEXT | st.integers(-(10**16), 10**16) | st.floats(allow_nan=False) | st.booleans() | st.none()
EVENT_ID = st.uuids().map(str) | st.uuids().map(lambda u: u.hex) | st.uuids().map(lambda u: f"{{{u}}}") | TEXT

EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(EVENT_TYPES)) | ODD},
    optional={
        "event_id": EVENT_ID,
        **{name: TEXT | ODD for name in STRING_FIELDS},
        "ts": st.integers(-1, 10**16) | st.floats(allow_nan=False) | ODD,
        "props": st.dictionaries(TEXT, PROP_VALUE, max_size=22) | ODD,
        "unknown": ODD | st.lists(ODD, max_size=3),
    },
)
SAFE_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=30)
# what a browser's location.href and document.referrer look like: ASCII, brackets only around an IPv6 host
SAFE_URL = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="[]"), max_size=30
)
VALID_EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(EVENT_TYPES))},
    optional={
        "event_id": st.uuids().map(str),
        **{name: SAFE_TEXT for name in STRING_FIELDS},
        "url": SAFE_URL,
        "ref": SAFE_URL,
        "ts": st.integers(0, 10**15) | st.floats(0, 1e15),
        "props": st.dictionaries(SAFE_TEXT, SAFE_TEXT | st.integers(-(10**15), 10**15), max_size=20),
    },
)
BODIES = EVENTS | st.fixed_dictionaries({"events": st.lists(EVENTS, max_size=52) | ODD}) | ODD


def reference(body: bytes) -> list[dict] | None:
    try:
        return reference_events(body)
    except Problem:
        return None


def same_ids(fast: list[dict], ref: list[dict], sent: object) -> None:
    """Events without an id get a fresh UUID from both passes; compare the rest exactly."""
    sent_events = sent["events"] if isinstance(sent, dict) and "events" in sent else [sent]
    for f, r, s in zip(fast, ref, sent_events, strict=True):
        if s.get("event_id") is None:
            assert uuid.UUID(f["event_id"]).version == 4
            f["event_id"] = r["event_id"]


@settings(max_examples=400, deadline=None)
@given(BODIES)
def test_fast_path_accepts_only_what_the_reference_accepts_with_the_same_events(data: object) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    fast = _fast_events(body)
    if fast is None:
        return
    ref = reference(body)
    assert ref is not None, body
    same_ids(fast, ref, data)
    assert fast == ref


def test_fast_path_takes_the_common_tracking_js_bodies() -> None:
    one = {"type": "pageview", "event_id": str(uuid.uuid4()), "url": "/x", "ts": 1.7e12, "props": {"n": 5}}
    assert _fast_events(orjson.dumps(one)) == reference_events(orjson.dumps(one))
    batch = orjson.dumps({"events": [one, {**one, "type": "click", "title": "Oksijen Tüpü"}]})
    assert _fast_events(batch) == reference_events(batch)
    page_called_events = orjson.dumps({**one, "url": "events", "title": "events"})
    assert _fast_events(page_called_events) == reference_events(page_called_events)


def test_a_bad_batch_is_never_taken_for_a_single_event() -> None:
    body = orjson.dumps({"type": "pageview", "events": [{"type": "nope"}]})
    assert _fast_events(body) is None
    with pytest.raises(Problem) as caught:
        reference_events(body)
    assert caught.value.field == "events[0].type"


def test_odd_but_valid_bodies_are_left_to_the_reference() -> None:
    for body in (
        b'{"type": "pageview", "url": null}',
        orjson.dumps({"type": "pageview", "event_id": f"{{{uuid.uuid4()}}}"}),
        b'{"type": "pageview", "x": "\\u0000"}',
        b'{"type": "pageview", "x": "\xff"}',
    ):
        assert _fast_events(body) is None, body


@settings(max_examples=200, deadline=None)
@given(VALID_EVENTS | st.fixed_dictionaries({"events": st.lists(VALID_EVENTS, min_size=1, max_size=50)}))
def test_valid_bodies_take_the_fast_path(data: dict) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    fast = _fast_events(body)
    assert fast is not None, body
    ref = reference_events(body)
    same_ids(fast, ref, data)
    assert fast == ref


URLISH = st.text(st.sampled_from("[]:/?#@.%\uff03\uff0fx1 "), max_size=20) | st.builds(
    lambda scheme, rest: scheme + rest, st.sampled_from(["http://", "https://", "//", ""]), TEXT
)


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({"type": st.just("pageview")}, optional={"url": URLISH, "ref": URLISH}))
def test_both_passes_agree_on_urls_python_cannot_parse(data: dict) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    fast, ref = _fast_events(body), reference(body)
    if fast is not None:
        assert ref is not None, body
        same_ids(fast, ref, data)
        assert fast == ref


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"url": "http://[::1/acil"}, "url"),
        ({"ref": "http://[x"}, "ref"),
        ({"ref": "[x"}, "ref"),  # a bare referrer is read as a host, as the source classifier reads it
        ({"url": "https://a\uff03b/"}, "url"),
        ({"url": "http://[x]/"}, "url"),
    ],
)
def test_an_unparseable_url_or_ref_is_refused_naming_the_field(event: dict, field: str) -> None:
    body = orjson.dumps({"events": [{"type": "pageview"}, {"type": "pageview", **event}]})
    assert _fast_events(body) is None
    with pytest.raises(Problem) as caught:
        reference_events(body)
    assert caught.value.field == f"events[1].{field}"
    assert caught.value.message == f"{field} is not a parseable URL"
