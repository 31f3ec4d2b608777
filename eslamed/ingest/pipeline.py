"""Enrichment as a named list of small steps (after Plausible's `Ingestion.Event`).

Each step takes a validated event and the request context and returns the event enriched, or
`DROP`. A step's name is its drop reason and its timing label: `run` turns `DROP` into a `Drop`
carrying the name, the caller counts it in /metrics (eslamed_events_dropped_total{reason}), and
a sampled run times every step (eslamed_ingest_step_seconds{step}). Steps are plain functions:
the tests call them without a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from eslamed.core import metrics
from eslamed.core.input_cache import cache_short_inputs
from eslamed.ingest.geo import NOWHERE, GeoLookup, Place
from eslamed.ingest.source import classify_source, referrer_host
from eslamed.ingest.urls import split_url
from eslamed.ingest.useragent import Agent, classify
from eslamed.ingest.visit_key import NO_KEYS, Salts, VisitKeys

MAX_FUTURE_SKEW_S = 60
MAX_PAST_AGE_S = 72 * 3600

Event = dict[str, Any]


@dataclass(frozen=True)
class Drop:
    reason: str


DROP = Drop("")
"""What a step returns to drop the event; `run` names the reason after the step."""


class Context(NamedTuple):
    """What the events of one request share; the user agent and the place are looked up once
    per request, not once per event. A tuple: built on every request, and cheap to build."""

    received_at: float
    agent: Agent
    place: Place
    own_hosts: frozenset[str] = frozenset()
    visit: VisitKeys = NO_KEYS  # this browser's visit keys (none without salts: a unit test's context)


Step = Callable[[Event, Context], "Event | Drop"]


def drop_bots(event: Event, ctx: Context) -> Event | Drop:
    agent = ctx.agent
    if agent.is_bot:
        return DROP
    event["device"], event["browser"], event["os"] = agent.device, agent.browser, agent.os
    return event


def clamp_timestamp(event: Event, ctx: Context) -> Event | Drop:
    """Trust the browser's clock only within bounds; a skewed clock gets server time."""
    now = ctx.received_at
    ts = event.get("ts")
    seconds = ts / 1000.0 if ts is not None else now
    if seconds > now + MAX_FUTURE_SKEW_S or seconds < now - MAX_PAST_AGE_S:
        seconds = now
    event["ts"] = int(seconds)
    event["received_at"] = int(now)
    return event


def geolocate(event: Event, ctx: Context) -> Event | Drop:
    place = ctx.place
    event["country"], event["subdivision"], event["city"] = place.country, place.subdivision, place.city
    return event


@cache_short_inputs(maxsize=4096, max_chars=512)
def url_path(url: str) -> str:
    parts = split_url(url)
    return (parts.path if parts else "") or "/"


def page(event: Event, ctx: Context) -> Event | Drop:
    event["path"] = url_path(event["url"])
    event["variant"] = event["props"].get("variant", "")
    return event


def classify_traffic(event: Event, ctx: Context) -> Event | Drop:
    host = referrer_host(event["ref"])
    event["ref_host"] = host
    has_click = bool(event["gclid"] or event["gbraid"] or event["wbraid"])
    event["source"] = classify_source(
        has_click, event["utm_medium"], event["utm_source"], host, ctx.own_hosts
    )
    return event


def key_visit(event: Event, ctx: Context) -> Event | Drop:
    """The cookieless visit key of the event's day (eslamed/ingest/visit_key.py): a visitor without
    consent is still one visit, and a consent event's visitor_id claims the day's keyed events."""
    keys, ts = ctx.visit, event["ts"]
    event["visit_key"] = keys.today if keys.start <= ts < keys.end else keys.of_day(ts)
    return event


PIPELINE: tuple[tuple[str, Step], ...] = (
    ("bot", drop_bots),
    ("clamp_timestamp", clamp_timestamp),
    ("geolocate", geolocate),
    ("page", page),
    ("classify_traffic", classify_traffic),
    ("key_visit", key_visit),
)


def run(event: Event, ctx: Context, steps: tuple[tuple[str, Step], ...] = PIPELINE) -> Event | Drop:
    for name, step in steps:
        result = step(event, ctx)
        if result is DROP:
            return Drop(name)
        event = result
    return event


def run_timed(event: Event, ctx: Context, steps: tuple[tuple[str, Step], ...] = PIPELINE) -> Event | Drop:
    """`run`, timing each step under its name; the caller samples it, as timing costs a clock read."""
    for name, step in steps:
        started = time.perf_counter()
        result = step(event, ctx)
        metrics.STEP_SECONDS.labels(name).observe(time.perf_counter() - started)
        if result is DROP:
            return Drop(name)
        event = result
    return event


def make_context(
    client_ip: str,
    user_agent: str,
    geo: GeoLookup | None,
    own_hosts: frozenset[str],
    salts: Salts | None = None,
    site: str = "",
) -> Context:
    now = time.time()
    return Context(
        received_at=now,
        agent=classify(user_agent),
        place=geo.lookup(client_ip) if geo is not None else NOWHERE,
        own_hosts=own_hosts,
        visit=VisitKeys(salts, site, client_ip, user_agent, now),
    )
