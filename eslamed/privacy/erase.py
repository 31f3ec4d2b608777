"""`privacy erase`: the person can no longer be found, in any table or file under DATA_DIR (KVKK art. 11,
art. 7). Lead rows stay, anonymised (status, dates, source, campaign, click, city and device), so the
stats of the past do not change; sales keep their revenue but not the phone hash.

The erasure is recorded in the ledger first, then done as `ALTER … UPDATE` mutations, waited for until
ClickHouse reports them done, then the journal and the outbox are cleaned. A restore re-applies every
ledger entry (`apply_ledger`), so an old backup cannot bring the person back.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eslamed.core.config import Settings
from eslamed.core.problems import unavailable
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store
from eslamed.leads.journal import LeadJournal
from eslamed.notify.outbox import Outbox
from eslamed.privacy.ledger import ledger_for, log_access
from eslamed.privacy.person import NONE, Person, person_of, spellings

log = logging.getLogger(__name__)

MUTATION_WAIT_S = 300.0
TABLES = ("leads", "lead_changes", "conversions", "notifications", "inbound", "events")
GOOGLE_KEEPS = (
    "{n} satış Google Ads'e gönderilmişti: Google'da yalnızca tıklama kimliği ve telefonun SHA-256 özeti "
    "kalır, buradan silinemez. / {n} sale(s) were sent to Google Ads: Google keeps only the click id and "
    "the SHA-256 hash of the phone; that cannot be erased from here."
)


@dataclass
class ErasureReport:
    lead_ids: list[str]
    visitors: int = 0
    inbound: int = 0
    uploaded: int = 0
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def google(self) -> str:
        return GOOGLE_KEEPS.format(n=self.uploaded) if self.uploaded else ""


Query = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
"""Runs one statement with its parameters (Store.query; the parity suite runs the same on both engines)."""


@dataclass
class Plan:
    """The mutations of one erasure, in order, and what they cover."""

    statements: list[tuple[str, dict[str, Any]]]
    inbound: int


def erasure_plan(query: Query, db: str, person: Person, e164s: list[str], salt: int) -> Plan:
    """Lookups first (inbound message keys, ClickHouse's hashes of the visitor ids and visit keys), then
    the mutations, which name ids and hashes only."""
    ids = {"ids": tuple(uuid.UUID(i) for i in person.lead_ids)}
    senders = tuple(s for e164 in e164s for s in spellings(e164)) or NONE
    keys = tuple(tuple(k) for k in query(sql.INBOUND_KEYS.format(db=db), {**ids, "phones": senders}))
    visitors = _hashes(query, sql.VISITOR_HASHES.format(db=db), "visitors", person.visitors)
    visit_keys = _hashes(query, sql.VISIT_KEY_HASHES.format(db=db), "keys", person.visit_keys)
    statements = [
        (statement.format(db=db), ids)
        for statement in (sql.ERASE_LEADS, sql.ERASE_LEAD_CHANGES, sql.ERASE_SALES, sql.ERASE_NOTIFICATIONS)
    ]
    if keys:
        statements.append((sql.ERASE_INBOUND.format(db=db), {"keys": keys}))
    if visitors or visit_keys:
        params = {"visitors": visitors or (0,), "keys": visit_keys or (0,), "salt": salt}
        statements.append((sql.ERASE_EVENTS.format(db=db), params))
    if visit_keys:
        statements.append((sql.ERASE_LEAD_VISIT_KEYS.format(db=db), {"keys": visit_keys, "salt": salt}))
    return Plan(statements, len(keys))


def _hashes(query: Query, statement: str, name: str, values: tuple[str, ...]) -> tuple[int, ...]:
    """ClickHouse's own cityHash64 of these values: the mutation names hashes, never an id."""
    return tuple(int(r[0]) for r in query(statement, {name: values})) if values else ()


def wait_for_mutations(
    query: Query, db: str, progress: Callable[[str], None], wait_s: float = MUTATION_WAIT_S
) -> None:
    """Until ClickHouse has rewritten every part (both engines list mutations in system.mutations)."""
    deadline = time.monotonic() + wait_s
    params = {"db": db, "tables": TABLES}
    while (pending := int(query(sql.MUTATIONS_PENDING, params)[0][0])) > 0:
        if time.monotonic() > deadline:
            raise unavailable(f"ClickHouse has not finished {pending} erasure mutation(s)", retry_after_s=60)
        progress(f"waiting for ClickHouse: {pending} mutation(s) still running")
        time.sleep(0.5)


def erase_rows(
    store: Store,
    settings: Settings,
    person: Person,
    e164s: list[str],
    progress: Callable[[str], None] = lambda _line: None,
) -> ErasureReport:
    """The erasure itself, for the person's leads, visitor ids, visit keys and phones; safe to repeat."""
    started = time.monotonic()
    db = store.database
    report = ErasureReport(list(person.lead_ids), visitors=len(person.visitors))
    ids = {"ids": tuple(uuid.UUID(i) for i in person.lead_ids)}
    sales = store.query_dicts(sql.SALE_ROWS.format(db=db), ids)
    report.uploaded = sum(1 for row in sales if row["state"] == "UPLOADED")
    plan = erasure_plan(store.query, db, person, e164s, secrets.randbits(63))
    report.inbound = plan.inbound
    for statement, params in plan.statements:
        store.query(statement, params)
    wait_for_mutations(store.query, db, progress)
    report.files += LeadJournal(settings.journal_dir).forget(person.needles())
    report.files += Outbox(settings.data_dir / "outbox").forget(set(person.lead_ids))
    report.seconds = time.monotonic() - started
    return report


def erase(
    store: Store,
    settings: Settings,
    person: Person,
    actor: str,
    now: datetime,
    progress: Callable[[str], None] = lambda _line: None,
) -> ErasureReport:
    """Record, erase, wait, log. The ledger entry comes first, so a crash half-way is finished by the
    next restore or by running the erase again."""
    erasure = ledger_for(settings).record(store, person.phone, list(person.lead_ids), now)
    leads, visitors = len(person.lead_ids), len(person.visitors)
    progress(f"erasure {erasure.erasure_id}: {leads} lead(s), {visitors} visitor id(s)")
    report = erase_rows(store, settings, person, [person.phone], progress)
    detail = f"erasure {erasure.erasure_id}: {report.inbound} inbound, {report.visitors} visitor id(s)"
    log_access(store, actor, "erase", list(person.lead_ids), erasure.phone_hmac, detail, now)
    log.info("KVKK erasure %s by %s: %d lead(s)", erasure.erasure_id, actor, leads)
    return report


def apply_ledger(
    store: Store, settings: Settings, progress: Callable[[str], None] = lambda _line: None
) -> tuple[int, int]:
    """After a restore: every erasure the ledger knows is done again on what the backup brought back
    (the leads it names, and any lead of that phone made before the erasure). Returns (erasures, leads)."""
    ledger = ledger_for(settings)
    entries = ledger.entries(store)
    if not entries:
        return 0, 0
    db = store.database
    touched = 0
    for erasure in entries:
        phoned = store.query(sql.LEAD_PHONES_BEFORE.format(db=db), {"at": erasure.erased_at})
        same = {i: p for i, p in phoned if erasure.phone_hmac and ledger.phone_hmac(p) == erasure.phone_hmac}
        lead_ids = tuple(sorted({*erasure.lead_ids, *same}))
        e164s = sorted(set(same.values()))
        person = person_of(store, e164s[0] if e164s else "", lead_ids)
        erase_rows(store, settings, person, e164s, progress)
        touched += len(lead_ids)
    progress(f"erasure ledger: {len(entries)} erasure(s) applied again, {touched} lead(s)")
    return len(entries), touched
