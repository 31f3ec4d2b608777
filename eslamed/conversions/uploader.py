"""Moves due sales (PENDING, or RETRY whose time has come) to Google and records every attempt.

Each attempt writes a new `conversions` version (state, attempts, reason, next_attempt_at,
backend, request_id), so the history of every sale is kept and nothing is sent twice: a
sale leaves the due set as soon as its UPLOADED/FAILED/SKIPPED row is written. The caller
holds the upload leader lock (`upload_leader`), so two workers or a worker and cron never send the same batch.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from google.api_core import exceptions as api_exceptions

from eslamed.conversions.ledger import next_version, requeue
from eslamed.conversions.model import (
    FAILED,
    MANUAL,
    MAX_ATTEMPTS,
    RESTATEMENT,
    RETRY,
    Outcome,
    Sale,
    build_sale,
    local_problem,
    next_attempt,
)
from eslamed.conversions.reasons import text
from eslamed.conversions.settings import AdsConfig
from eslamed.core import metrics
from eslamed.core.clock import utc_now
from eslamed.core.sql import conversions as sql
from eslamed.core.store import Store

log = logging.getLogger(__name__)

MAX_BATCH = 2000
"""Both APIs take at most 2,000 conversions per request."""

NEVER = datetime(1970, 1, 1)

CONFIRM_WINDOW = timedelta(days=7)
"""How long Google's final status of an accepted request is asked for; it usually settles in hours."""


class Backend(Protocol):
    name: str
    config: AdsConfig

    def upload(self, sales: list[Sale], validate_only: bool = False) -> dict[uuid.UUID, Outcome]: ...


def make_backend(config: AdsConfig) -> Backend:
    if config.backend == "googleads":
        from eslamed.conversions.googleads_backend import GoogleAdsBackend

        return GoogleAdsBackend(config)
    from eslamed.conversions.datamanager_backend import DataManagerBackend

    return DataManagerBackend(config)


@dataclass
class RunReport:
    """States reached by this run's attempts, and Google's final word on earlier requests."""

    states: Counter = field(default_factory=Counter)
    confirmed: Counter = field(default_factory=Counter)
    results: list[tuple[uuid.UUID, Outcome]] = field(default_factory=list)

    def add(self, conversion_id: uuid.UUID, outcome: Outcome) -> None:
        self.states[outcome.state] += 1
        self.results.append((conversion_id, outcome))

    def confirm(self, conversion_id: uuid.UUID, outcome: Outcome) -> None:
        self.confirmed[outcome.state] += 1
        self.results.append((conversion_id, outcome))

    def count(self, backend: str) -> None:
        for state, n in (self.states + self.confirmed).items():
            metrics.CONVERSION_UPLOADS.labels(backend, state).inc(n)


class Uploader:
    def __init__(
        self,
        store: Store,
        backend: Backend,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = MAX_BATCH,
        validate_only: bool = False,
    ) -> None:
        self.store = store
        self.backend = backend
        self.clock = clock
        self.batch_size = min(batch_size, MAX_BATCH)
        self.validate_only = validate_only
        self._by_action: dict[str, Backend] = {}
        self._adjuster: Any = None

    @property
    def config(self) -> AdsConfig:
        return self.backend.config

    def _backend_for(self, action_id: str) -> Backend:
        """Each conversion action is its own destination (Data Manager takes one per request)."""
        if not action_id or action_id == self.config.conversion_action_id:
            return self.backend
        if action_id not in self._by_action:
            self._by_action[action_id] = make_backend(replace(self.config, conversion_action_id=action_id))
        return self._by_action[action_id]

    def _correct(self, corrections: list[Sale]) -> dict[uuid.UUID, Outcome]:
        from eslamed.conversions.adjustments import GoogleAdsAdjuster

        if self.backend.name != "googleads":
            return self._restate_again(corrections)
        if self._adjuster is None:
            self._adjuster = GoogleAdsAdjuster(self.config)
        return self._adjuster.upload(corrections, validate_only=self.validate_only)

    def _restate_again(self, corrections: list[Sale]) -> dict[uuid.UUID, Outcome]:
        """Data Manager: a restatement is the sale sent again (same transaction id, its own time)
        with the new value; a retraction has no documented path and is left to the owner."""
        from eslamed.conversions.adjustments import NOT_VIA_DATAMANAGER

        outcomes = {c.conversion_id: NOT_VIA_DATAMANAGER for c in corrections if c.adjustment != RESTATEMENT}
        restated = [c for c in corrections if c.adjustment == RESTATEMENT]
        if restated:
            ids = tuple(uuid.UUID(c.adjusts) for c in restated)
            closed = {
                str(row["conversion_id"]): row["closed_at"]
                for row in self.store.query_dicts(self._q(sql.BY_IDS), {"ids": ids})
            }
            again = [replace(c, closed_at=closed[c.adjusts]) for c in restated if c.adjusts in closed]
            outcomes.update(self.backend.upload(again, validate_only=self.validate_only))
        return outcomes

    def _q(self, query: str) -> str:
        return query.format(db=self.store.database)

    def run_once(self) -> RunReport:
        """Send everything due now, batch by batch, then read Google's final word on earlier requests."""
        report = RunReport()
        seen: set[uuid.UUID] = set()
        while True:
            rows = self.store.query_dicts(self._q(sql.DUE), {"now": self.clock(), "limit": self.batch_size})
            rows = [row for row in rows if row["conversion_id"] not in seen]
            if not rows:
                break
            seen.update(row["conversion_id"] for row in rows)
            self._attempt(rows, report)
            if self.validate_only or len(rows) < self.batch_size:
                break
        if not self.validate_only:
            if hasattr(self.backend, "request_status"):
                self._confirm(report)
            report.count(self.backend.name)
        return report

    def _attempt(self, rows: list[dict[str, Any]], report: RunReport) -> None:
        now = self.clock()
        leads = self._leads({row["lead_id"] for row in rows})
        by_action: dict[str, list[Sale]] = {}
        corrections: list[Sale] = []
        outcomes: dict[uuid.UUID, Outcome] = {}
        for row in rows:
            sale = build_sale(row, leads.get(row["lead_id"]))
            window = timedelta(days=self.config.click_window_days(sale.conversion_action_id))
            problem = None if sale.adjustment else local_problem(sale, now, window)
            if problem is not None:
                outcomes[row["conversion_id"]] = problem
            elif sale.adjustment:
                corrections.append(sale)
            else:
                by_action.setdefault(sale.conversion_action_id, []).append(sale)
        sent: dict[uuid.UUID, Outcome] = {}
        for action_id, sales in by_action.items():
            sent.update(self._backend_for(action_id).upload(sales, validate_only=self.validate_only))
        if corrections:
            sent.update(self._correct(corrections))
        outcomes.update(sent)
        new_rows = []
        for row in rows:
            outcome = outcomes[row["conversion_id"]]
            was_sent = row["conversion_id"] in sent and outcome.state != MANUAL
            attempts = row["attempts"] + (1 if was_sent else 0)
            if outcome.state == RETRY and not outcome.keep_trying and attempts >= MAX_ATTEMPTS:
                gave_up = text(f"{attempts} denemeden sonra vazgeçildi", f"gave up after {attempts} attempts")
                outcome = Outcome(FAILED, f"{outcome.reason}; {gave_up}", request_id=outcome.request_id)
            report.add(row["conversion_id"], outcome)
            new_rows.append(self._version(row, outcome, attempts, now))
        if not self.validate_only:
            self.store.insert_rows("conversions", new_rows)

    def _confirm(self, report: RunReport) -> None:
        now = self.clock()
        rows = self.store.query_dicts(
            self._q(sql.AWAITING_CONFIRMATION), {"since": now - CONFIRM_WINDOW, "limit": 10 * MAX_BATCH}
        )
        by_request: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_request.setdefault(row["request_id"], []).append(row)
        for request_id, group in by_request.items():
            try:
                outcome = self.backend.request_status(request_id)  # type: ignore[attr-defined]
            except api_exceptions.GoogleAPICallError as exc:
                log.warning("request status for %s not available yet: %s", request_id, exc)
                continue
            if outcome is None:
                continue
            for row in group:
                report.confirm(row["conversion_id"], outcome)
            self.store.insert_rows(
                "conversions", [self._version(r, outcome, r["attempts"], now) for r in group]
            )

    def _leads(self, lead_ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        if not lead_ids:
            return {}
        found = self.store.query_dicts(self._q(sql.LEADS_FOR_UPLOAD), {"ids": tuple(lead_ids)})
        return {lead["lead_id"]: lead for lead in found}

    def _version(self, row: dict[str, Any], outcome: Outcome, attempts: int, now: datetime) -> dict[str, Any]:
        return next_version(
            row,
            now,
            state=outcome.state,
            attempts=attempts,
            reason=outcome.reason,
            next_attempt_at=next_attempt(attempts, now, outcome.retry_after_s)
            if outcome.state == RETRY
            else NEVER,
            backend=self.backend.name,
            request_id=outcome.request_id or row["request_id"],
        )


CONFIG_CHANGED = text(
    "Google ayarları değişti; hemen yeniden deneniyor", "Google settings changed: retrying now"
)


def retry_on_config_change(store: Store, config: AdsConfig, fingerprint_file: Path, now: datetime) -> int:
    """After the owner fixes credentials or the account, RETRY sales go now instead of after their
    backoff (up to six hours). Call while holding the upload lock; returns how many were re-queued."""
    fingerprint = config.fingerprint()
    try:
        known = fingerprint_file.read_text().strip()
    except FileNotFoundError:
        known = ""
    if known == fingerprint:
        return 0
    rows = requeue(store, (RETRY,), now, CONFIG_CHANGED)
    fingerprint_file.parent.mkdir(parents=True, exist_ok=True)
    fingerprint_file.write_text(fingerprint + "\n")
    if rows:
        log.info("Google settings changed: %d RETRY sale(s) queued now", len(rows))
    return len(rows)
