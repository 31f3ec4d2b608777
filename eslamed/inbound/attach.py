"""Gives tap leads their phone numbers: a WhatsApp message with a reference code, a call right after a tap.

Each message or call is handled once: its key goes into `inbound`, and a repeat (Meta retries a
delivery it is unsure of) finds it and changes nothing. Work for one sender, and all call matching,
is serialised by a file lock, so two workers never attach the same number twice. A number reaches
a lead as a new row version plus a `lead_changes` entry, the way the admin's "Telefonu kaydet" does.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from limits import parse as parse_limit
from limits.strategies import RateLimiter

from eslamed.core.clock import ISTANBUL, utc_now
from eslamed.core.config import Settings
from eslamed.core.locks import held
from eslamed.core.phone import InvalidPhone, mask_phone, normalize_e164
from eslamed.core.problems import Problem
from eslamed.core.sql import inbound as sql
from eslamed.inbound.payloads import CallNotice, WhatsAppMessage
from eslamed.ingest.geo import NOWHERE
from eslamed.ingest.useragent import Agent
from eslamed.leads.lifecycle import LeadBook
from eslamed.leads.refs import find_ref
from eslamed.leads.service import BUSY, LeadService, new_record
from eslamed.leads.validate import validate_lead
from eslamed.notify.message import PHONE_ARRIVED, LeadSummary

log = logging.getLogger(__name__)

# A tap's code is answered within the visit's day; older codes no longer attach (issue 27 E).
REF_WINDOW = timedelta(hours=24)
# Wrong codes one sender may try before its codes are no longer looked up: 33.5 million codes, so a
# guesser needs millions of tries, and gets five an hour.
REF_MISS_LIMIT = parse_limit("5/hour")
REF_MISS_SCOPE = "whatsapp-ref-miss"
CALL_CLOCK_SKEW = timedelta(minutes=1)
LOCK_BUCKETS = 1024
NO_AGENT = Agent("", "", "", False)
NAMESPACE = uuid.UUID("6f1c3a52-8f0e-4d59-9a57-0b7e2c1f4d10")

# outcomes recorded in `inbound.outcome`
ATTACHED = "attached"
ALREADY_HAS_PHONE = "already_has_phone"
KNOWN_NUMBER = "known_number"
NEW_LEAD = "new_lead"
DUPLICATE = "duplicate"
INVALID_SENDER = "invalid_sender"
AMBIGUOUS = (
    "ambiguous_call_taps"  # a new call lead: several taps could be the caller's, none was given the number
)


class Busy(Exception):
    """Another worker holds this sender's lock too long; the sender should retry (503)."""


@dataclass(frozen=True)
class Handled:
    outcome: str
    lead_id: str


def call_window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.integrations.webhooks.call_match_window_min)


class Inbound:
    def __init__(self, leads: LeadService, limiter: RateLimiter, settings: Settings) -> None:
        self.leads = leads
        self.store = leads.store
        self.book = LeadBook(leads.store)
        self.db = self.store.database
        self.call_window = call_window(settings)
        self.locks_dir = settings.locks_dir / "inbound"
        self.wait_s = settings.clickhouse_timeout_s * 3 + 5
        self.limiter = limiter

    def _lock(self, name: str) -> Path:
        bucket = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % LOCK_BUCKETS
        return self.locks_dir / f"{bucket:04d}.lock"

    def _one(self, query: str, params: dict[str, Any]) -> Any:
        rows = self.store.query(query.format(db=self.db), params)
        return rows[0][0] if rows else None

    def _seen(self, channel: str, key: str) -> bool:
        return bool(self._one(sql.SEEN, {"channel": channel, "key": key}))

    def _record(self, channel: str, key: str, sender: str, handled: Handled, body: str) -> None:
        self.store.insert_rows(
            "inbound",
            [
                {
                    "channel": channel,
                    "message_key": key,
                    "received_at": utc_now(),
                    "sender": sender,
                    "lead_id": uuid.UUID(handled.lead_id) if handled.lead_id else uuid.UUID(int=0),
                    "outcome": handled.outcome,
                    "body": body,
                }
            ],
        )

    def _lead(self, lead_id: str) -> dict[str, Any] | None:
        return self.book.find(uuid.UUID(lead_id))

    def _attach(self, lead: dict[str, Any], phone: str, message: str, name: str, note: str) -> Handled:
        """The lead's number (and, when it had none, the first message and the sender's name)."""
        lead_id = str(lead["lead_id"])
        if lead["phone"]:
            return Handled(ALREADY_HAS_PHONE, lead_id)
        more: dict[str, Any] = {}
        if message and not lead["message"]:
            more["message"] = message
        if name and not lead["name"]:
            more["name"] = name
        row = self.book.set_phone(lead, phone, note, **more)
        log.info("lead %s got its number %s (%s)", lead_id, mask_phone(phone), note)
        if row["status"] != "SPAM":
            self.leads.notifier.notify(LeadSummary.from_record({**row, "lead_id": lead_id}, PHONE_ARRIVED))
        return Handled(ATTACHED, lead_id)

    def _new_lead(self, lead_id: uuid.UUID, source: str, phone: str, name: str, message: str) -> Handled:
        """Through the same path as POST /api/lead: stored (or journaled) once, then the owner is told."""
        lead = validate_lead(
            {"lead_id": str(lead_id), "source": source, "phone": phone, "name": name, "message": message}
        )
        outcome = self.leads.submit(new_record(lead, NOWHERE, NO_AGENT, time.time()))
        if outcome.kind == BUSY:
            raise Busy(str(lead_id))
        return Handled(NEW_LEAD, str(lead_id))

    def whatsapp(self, message: WhatsAppMessage) -> Handled:
        with held(self._lock(f"whatsapp:{message.sender}"), wait_s=self.wait_s):
            if self._seen("whatsapp", message.message_id):
                return Handled(DUPLICATE, "")
            handled = self._whatsapp(message)
            self._record("whatsapp", message.message_id, message.sender, handled, message.text)
            return handled

    def _whatsapp(self, message: WhatsAppMessage) -> Handled:
        try:
            phone = normalize_e164("+" + message.sender.lstrip("+"))
        except InvalidPhone:
            return Handled(INVALID_SENDER, "")
        code = find_ref(message.text)
        if code and self.limiter.test(REF_MISS_LIMIT, REF_MISS_SCOPE, phone):
            lead_id = self._one(sql.REF_LEAD, {"ref": code, "since": utc_now() - REF_WINDOW})
            lead = self._lead(lead_id) if lead_id else None
            if lead is None:
                self.limiter.hit(REF_MISS_LIMIT, REF_MISS_SCOPE, phone)
                log.info("WhatsApp %s: no visit has code %s", mask_phone(phone), code)
            elif not lead["phone"] or lead["phone"] == phone:
                note = f"WhatsApp mesajı (ref {code})"
                return self._attach(lead, phone, message.text, message.profile_name, note)
            # else the code's lead has another number already: this sender's message is a lead of its own
        elif code:
            log.warning("WhatsApp %s: too many wrong codes, code %s not looked up", mask_phone(phone), code)
        known = self._one(sql.LEAD_BY_PHONE, {"phone": phone})
        if known:
            return Handled(KNOWN_NUMBER, known)
        lead_id = uuid.uuid5(NAMESPACE, f"whatsapp:{message.message_id}")
        try:
            return self._new_lead(lead_id, "whatsapp", phone, message.profile_name, message.text)
        except Problem:
            return Handled(INVALID_SENDER, "")

    def call(self, notice: CallNotice) -> Handled:
        with held(self.locks_dir / "calls.lock", wait_s=self.wait_s):
            if self._seen("call", notice.key):
                return Handled(DUPLICATE, "")
            handled = self._call(notice)
            body = f"{notice.called} {notice.started_at.isoformat()} {notice.duration_s}s"
            self._record("call", notice.key, notice.caller, handled, body)
            return handled

    def _call(self, notice: CallNotice) -> Handled:
        try:
            phone = normalize_e164(notice.caller)
        except InvalidPhone:
            return Handled(INVALID_SENDER, "")
        window = {
            "since": notice.started_at - self.call_window,
            "until": notice.started_at + CALL_CLOCK_SKEW,
        }
        taps = self.store.query(sql.CALL_TAPS.format(db=self.db), window)
        minutes = f"{self.call_window.total_seconds() / 60:g} dk"
        lead = self._lead(taps[0][0]) if len(taps) == 1 else None
        if lead is not None:
            note = f"Arama (telefon santrali): aramadan önceki {minutes} içindeki tek arama dokunuşu"
            return self._attach(lead, phone, "", "", note)
        lead_id = uuid.uuid5(NAMESPACE, f"call:{notice.key}")
        handled = self._new_lead(lead_id, "call", phone, "", "")
        if len(taps) > 1:
            # Several visitors tapped "call" just before: which one called is a guess, and a wrong guess
            # gives a stranger's ad click the sale. The call stays a lead of its own; the owner chooses.
            listed = "; ".join(
                f"{created.replace(tzinfo=UTC).astimezone(ISTANBUL):%H:%M} {url or '(sayfa yok)'} [{tap_id}]"
                for tap_id, created, url in taps
            )
            note = (
                f"Bu aramadan önceki {minutes} içinde {len(taps)} arama dokunuşu var, hangisinin aradığı"
                f" belli değil; doğru talebi siz seçin: {listed}"
            )
            self._note(lead_id, note)
            return Handled(AMBIGUOUS, handled.lead_id)
        return handled

    def _note(self, lead_id: uuid.UUID, note: str) -> None:
        """A note on the lead's page (its history), as the owner's own notes are written."""
        lead = self._lead(str(lead_id))
        if lead is not None:
            self.book.change(lead, note)
