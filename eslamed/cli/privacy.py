"""`eslamed privacy export|erase|retention|log`: KVKK rights from the command line. Every export and
erase is written to the access log (who, what, when), without the personal data itself."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from pathlib import Path
from typing import Any

import orjson

from eslamed.cli.settings import command_settings
from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.problems import Problem
from eslamed.core.sql import privacy as sql
from eslamed.core.store import Store, StoreUnavailable

JSON = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def actor() -> str:
    return f"command line ({getpass.getuser()}@{socket.gethostname()})"


def _store(settings: Settings) -> Store:
    return Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 30.0))


def _run(args: argparse.Namespace, work: Any) -> int:
    settings = command_settings(need_geoip=False)
    store = _store(settings)
    try:
        return work(settings, store)
    except Problem as problem:
        sys.stderr.write(f"eslamed privacy: {problem.message}\n")
        return 1 if problem.status >= 500 else 2 if problem.status != 404 else 4
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed privacy: {exc}\n")
        return 1
    finally:
        store.close()


def cmd_export(args: argparse.Namespace) -> int:
    from eslamed.privacy.export import export_logged
    from eslamed.privacy.person import find

    def work(settings: Settings, store: Store) -> int:
        person = find(store, args.phone or "", args.lead or "")
        held, counts = export_logged(store, settings, person, actor(), utc_now())
        data = orjson.dumps(held, default=str, option=JSON) + b"\n"
        if args.out:
            Path(args.out).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
        if args.out:
            print(f"written to {args.out}: {counts}")
        return 0

    return _run(args, work)


def cmd_erase(args: argparse.Namespace) -> int:
    from eslamed.privacy.erase import erase
    from eslamed.privacy.person import find

    def work(settings: Settings, store: Store) -> int:
        person = find(store, args.phone or "", args.lead or "")
        print(f"person: {len(person.lead_ids)} lead(s), {len(person.visitors)} visitor id(s)")
        for lead_id in person.lead_ids:
            print(f"  lead {lead_id}")
        if not args.yes:
            print("nothing erased: add --yes to erase this person everywhere (it cannot be undone)")
            return 3
        report = erase(store, settings, person, actor(), utc_now(), progress=print)
        print(
            f"erased: {len(report.lead_ids)} lead(s) anonymised (status, dates, source and campaign kept), "
            f"{report.inbound} inbound message(s), events of {report.visitors} visitor id(s), "
            f"{len(report.files)} file(s) under DATA_DIR cleaned, in {report.seconds:.1f} s"
        )
        if report.google:
            print(report.google)
        return 0

    return _run(args, work)


def cmd_retention(args: argparse.Namespace) -> int:
    from eslamed.privacy.retention import run_retention

    def work(settings: Settings, store: Store) -> int:
        report = run_retention(store, settings, utc_now())
        dropped = ", ".join(report.partitions) or "none"
        print(f"events: months before {report.events_before} dropped ({dropped}); ", end="")
        print(f"leads created before {report.leads_before} anonymised: {report.leads}")
        return 0

    return _run(args, work)


def cmd_log(args: argparse.Namespace) -> int:
    def work(settings: Settings, store: Store) -> int:
        rows = store.query(sql.ACCESS_LOG.format(db=store.database), {"limit": args.limit})
        for at, who, action, lead_ids, _phone_hmac, detail in rows:
            print(f"{at:%Y-%m-%d %H:%M:%S}Z  {action:<9}  {who}  leads {len(lead_ids)}  {detail}")
        print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
        return 0

    return _run(args, work)


def _who(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--phone", help="the person's phone, in any spelling (0532 123 45 67, +90532…)")
    which.add_argument("--lead", help="one of the person's lead ids (then every lead of its phone)")


def register(sub: argparse._SubParsersAction) -> None:
    privacy = sub.add_parser("privacy", help="KVKK: export or erase one person's data, retention, access log")
    privacy_sub = privacy.add_subparsers(dest="action", required=True)
    export = privacy_sub.add_parser("export", help="print everything held about a person as JSON")
    _who(export)
    export.add_argument("--out", help="write the JSON to this file instead of stdout")
    export.set_defaults(func=cmd_export)
    erase = privacy_sub.add_parser("erase", help="erase a person everywhere (anonymised lead rows stay)")
    _who(erase)
    erase.add_argument("--yes", action="store_true", help="really erase (without it: show what would go)")
    erase.set_defaults(func=cmd_erase)
    retention = privacy_sub.add_parser("retention", help="drop old event months, anonymise old leads, now")
    retention.set_defaults(func=cmd_retention)
    log = privacy_sub.add_parser("log", help="the access log of personal data (for the KVKK authority)")
    log.add_argument("--limit", type=int, default=200)
    log.set_defaults(func=cmd_log)
