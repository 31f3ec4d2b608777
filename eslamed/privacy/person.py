"""One person as the law means it: everything found through their phone (any spelling) or one of their
leads: the leads of that phone, their visitor ids, the names they gave."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import phonenumbers

from eslamed.core.phone import DEFAULT_REGION, InvalidPhone, normalize_e164
from eslamed.core.problems import Problem, not_found
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store

NONE = ("\x00none",)
"""Looked up instead of an empty list (a phone, a visitor id, a visit key): no row has it, whereas an
empty value would match every erased or anonymous row."""


@dataclass(frozen=True)
class Person:
    phone: str  # E.164, '' when the lead had none
    lead_ids: tuple[str, ...]
    visitors: tuple[str, ...]
    names: tuple[str, ...]
    visit_keys: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return spellings(self.phone)

    def needles(self) -> list[bytes]:
        """What a byte scan of a file must not find once the person is erased."""
        names = (n for n in self.names if len(n) >= 3)
        words = (*self.lead_ids, *self.spellings, *self.visitors, *self.visit_keys, *names)
        return [word.encode() for word in words if word]


def spellings(e164: str) -> tuple[str, ...]:
    """+905321234567, 905321234567, 0532 123 45 67, 05321234567, 5321234567, +90 532 123 45 67."""
    if not e164:
        return ()
    number = phonenumbers.parse(e164, DEFAULT_REGION)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    significant = phonenumbers.national_significant_number(number)
    forms = (e164, e164.lstrip("+"), national, national.replace(" ", ""), significant, international)
    return tuple(dict.fromkeys(forms))


def phone_of(raw: str) -> str:
    try:
        return normalize_e164(raw)
    except InvalidPhone as exc:
        raise Problem(f"phone: {exc}", "phone", message_tr="Geçerli bir telefon numarası girin.") from exc


def find(store: Store, phone: str = "", lead_id: str = "") -> Person:
    """The person of a phone, or of a lead (then every lead of that lead's phone). Nothing found is 404."""
    db = store.database
    e164 = phone_of(phone) if phone else ""
    ids: list[str] = []
    if lead_id:
        try:
            wanted = uuid.UUID(lead_id)
        except ValueError as exc:
            raise Problem("lead must be a lead id (UUID)", "lead") from exc
        rows = store.query_dicts(sql.LEAD_ROWS.format(db=db), {"ids": (wanted,)})
        if not rows:
            raise not_found("no such lead", "Talep bulunamadı")
        ids = [str(wanted)]
        e164 = e164 or next((r["phone"] for r in reversed(rows) if r["phone"]), "")
    if e164:
        ids += [r[0] for r in store.query(sql.LEADS_BY_PHONE.format(db=db), {"phones": spellings(e164)})]
    ids = sorted(set(ids))
    if not ids:
        raise not_found("nothing is held about this phone", "Bu numarayla kayıtlı veri yok")
    return person_of(store, e164, tuple(ids))


def person_of(store: Store, e164: str, lead_ids: tuple[str, ...]) -> Person:
    """The person behind these leads: their visitor ids, the names they gave, their browsers' visit keys."""
    db = store.database
    uuids = tuple(uuid.UUID(i) for i in lead_ids)
    visitors = tuple(r[0] for r in store.query(sql.VISITORS_OF.format(db=db), {"ids": uuids}))
    rows = store.query_dicts(sql.LEAD_ROWS.format(db=db), {"ids": uuids})
    names = tuple(sorted({r["name"] for r in rows if r["name"]}))
    return Person(e164, lead_ids, visitors, names, visit_keys(store, visitors, rows))


def visit_keys(store: Store, visitors: tuple[str, ...], lead_rows: list[dict]) -> tuple[str, ...]:
    """The visit keys of the person's browsers: their leads' and those of their visitor ids' events."""
    keys = {r["visit_key"] for r in lead_rows if r["visit_key"]}
    if visitors:
        keys |= {
            r[0] for r in store.query(sql.VISIT_KEYS_OF.format(db=store.database), {"visitors": visitors})
        }
    return tuple(sorted(keys))
