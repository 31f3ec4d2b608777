"""Retention (KVKK art. 7): nothing is kept longer than the KVKK page declares. Once a day, in the one
worker holding its lock: `events` partitions (months) older than RETENTION_EVENTS_MONTHS are dropped
whole, and leads older than RETENTION_LEADS_MONTHS are anonymised the way an erasure does it, so their
counts, sales and revenue stay in the stats."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.jobs import Job
from eslamed.core.locks import Leader
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store, StoreUnavailable
from eslamed.privacy.erase import erase_rows
from eslamed.privacy.ledger import log_access
from eslamed.privacy.person import Person

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0
FIRST_RUN_AFTER_S = 600.0
BATCH = 1000


def months_before(now: datetime, months: int) -> date:
    """The first day of the month `months` before now's month: data of earlier months is past its time."""
    index = now.year * 12 + now.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class RetentionReport:
    events_before: date
    leads_before: date
    partitions: list[str] = field(default_factory=list)
    leads: int = 0


def run_retention(store: Store, settings: Settings, now: datetime) -> RetentionReport:
    db = store.database
    report = RetentionReport(
        months_before(now, settings.retention.events_months),
        months_before(now, settings.retention.leads_months),
    )
    limit = int(report.events_before.strftime("%Y%m"))
    for (partition,) in store.query(sql.EVENT_PARTITIONS, {"db": db}):
        if partition.isdigit() and int(partition) < limit:
            store.query(sql.DROP_EVENT_PARTITION.format(db=db, partition=int(partition)))
            report.partitions.append(partition)
    before = datetime.combine(report.leads_before, datetime.min.time())
    ids = [r[0] for r in store.query(sql.LEADS_TO_ANONYMISE.format(db=db), {"before": before})]
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        rows = store.query_dicts(sql.LEAD_ROWS.format(db=db), {"ids": tuple(uuid.UUID(x) for x in chunk)})
        phones = sorted({r["phone"] for r in rows if r["phone"]})
        visitors = tuple(sorted({r["visitor_id"] for r in rows if r["visitor_id"]}))
        names = tuple(sorted({r["name"] for r in rows if r["name"]}))
        keys = tuple(sorted({r["visit_key"] for r in rows if r["visit_key"]}))
        erase_rows(store, settings, Person("", tuple(chunk), visitors, names, keys), phones)
        report.leads += len(chunk)
    if report.partitions or report.leads:
        detail = (
            f"events months dropped: {', '.join(report.partitions) or 'none'}"
            f" (before {report.events_before}); "
            f"leads anonymised: {report.leads} (created before {report.leads_before})"
        )
        log_access(store, "retention", "retention", ids, "", detail, now)
        log.info("retention: %s", detail)
    return report


def retention_job(settings: Settings, store: Store) -> Job:
    return Job(
        "retention",
        lambda: run_retention(store, settings, utc_now()),
        interval_s=DAY_S,
        backoff_max_s=DAY_S,
        leader=Leader(settings.locks_dir / "retention.lock"),
        quiet=(StoreUnavailable,),
        first_after_s=FIRST_RUN_AFTER_S,
    )
