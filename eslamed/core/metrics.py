"""Prometheus metrics, aggregated across gunicorn workers (prometheus-client multiprocess mode).

gunicorn.conf.py points PROMETHEUS_MULTIPROC_DIR at a per-run directory before any worker
imports this module; without it (unit tests) the default in-process registry is used.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prom_multiprocess

from eslamed.core.config import process_options

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

EVENTS_ACCEPTED = Counter("eslamed_events_accepted_total", "Events buffered for ClickHouse")
EVENTS_DROPPED = Counter("eslamed_events_dropped_total", "Events not stored, by reason", ["reason"])
REQUESTS_REJECTED = Counter(
    "eslamed_requests_rejected_total",
    "Requests answered 4xx/5xx by ingestion, by reason",
    ["endpoint", "reason"],
)
EVENTS_FLUSHED = Counter("eslamed_events_flushed_total", "Events inserted into ClickHouse")
DUPLICATES_SKIPPED = Counter(
    "eslamed_events_duplicates_skipped_total", "Replayed events already in ClickHouse, not re-sent"
)
INSERT_ERRORS = Counter("eslamed_insert_errors_total", "Failed ClickHouse inserts", ["table"])
FLUSH_SECONDS = Histogram(
    "eslamed_flush_seconds",
    "Duration of one batch insert",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RING_FILL = Gauge("eslamed_ring_fill_ratio", "Fraction of a worker's ring in use", multiprocess_mode="max")
RING_BYTES = Gauge("eslamed_ring_used_bytes", "Bytes waiting in rings", multiprocess_mode="livesum")
SPILL_BYTES = Gauge(
    "eslamed_spill_bytes", "Bytes waiting in disk spill segments", multiprocess_mode="livesum"
)
SPILLED = Counter("eslamed_spilled_total", "Records written to the disk spill because the ring was full")
SLOTS_RECOVERED = Counter("eslamed_slots_recovered_total", "Records drained from slots of dead workers")
CONVERSION_UPLOADS = Counter(
    "eslamed_conversion_uploads_total", "Sales moved to a new upload state, by backend", ["backend", "state"]
)
# conv-outcomes (issue 14): account-level alert for requests Google refused as a whole.
CONVERSION_REQUEST_ERRORS = Counter(
    "eslamed_conversion_request_errors_total",
    "Upload requests that failed as a whole (no sale to blame), by backend and Google code",
    ["backend", "code"],
)
AD_IMPORTS = Counter(
    "eslamed_ad_imports_total", "Ad cost imports from Google Ads, by result (ok or Google's code)", ["result"]
)
CLICKHOUSE_UP = Gauge(
    "eslamed_clickhouse_up", "1 when the last flush reached ClickHouse", multiprocess_mode="min"
)

RATELIMIT_TABLE_FULL = Counter(
    "eslamed_ratelimit_table_full_total",
    "Rate-limit checks refused because every slot for the key held another live counter",
)
ADMIN_AUTH_REFUSED = Counter(
    "eslamed_admin_auth_refused_total", "Admin requests refused, by status", ["status"]
)


LEADS = Counter("eslamed_leads_total", "Lead submissions by outcome", ["outcome"])
LEAD_SECONDS = Histogram(
    "eslamed_lead_seconds",
    "Time to answer POST /api/lead",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
JOURNAL_REPLAYED = Counter("eslamed_lead_journal_replayed_total", "Journaled leads stored in ClickHouse")
JOURNAL_QUARANTINED = Counter(
    "eslamed_lead_journal_quarantined_total",
    "Journal records that could not be stored, kept in quarantine.jsonl",
)
NOTIFICATIONS = Counter(
    "eslamed_notifications_total", "Notification attempts by channel and result", ["channel", "result"]
)
OUTBOX_PENDING = Gauge(
    "eslamed_notify_outbox_pending", "Notifications waiting in the outbox", multiprocess_mode="max"
)
JOB_ROUNDS = Counter("eslamed_job_rounds_total", "Background job rounds by job and result", ["job", "result"])
STEP_SECONDS = Histogram(
    "eslamed_ingest_step_seconds",
    "Time in each ingest pipeline step, sampled",
    ["step"],
    buckets=(1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2),
)


def render() -> bytes:
    directory = process_options().metrics_dir
    if directory:
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    return generate_latest()


def mark_process_dead(pid: int) -> None:
    if process_options().metrics_dir:
        prom_multiprocess.mark_process_dead(pid)
