"""`eslamed conversions upload [--dry-run]` (for cron) and `eslamed ads check`."""

from __future__ import annotations

import argparse
import sys

from eslamed.conversions.lock import UploadLock
from eslamed.conversions.settings import ads_config, upload_status


def cmd_upload(args: argparse.Namespace) -> int:
    from eslamed.cli import _settings
    from eslamed.conversions.uploader import Uploader, make_backend
    from eslamed.store import Store, StoreUnavailable

    settings = _settings()
    status = upload_status(settings)
    if not status["configured"]:
        missing = ", ".join(status["missing"])  # type: ignore[arg-type]
        print(f"{status['message']}: {missing or status['message']}; sales stay PENDING")
        return 0
    lock = UploadLock(settings.locks_dir)
    if not lock.acquire():
        print(f"another uploader holds {lock.path}; nothing sent")
        return 0
    store = Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 10.0))
    try:
        report = Uploader(store, make_backend(ads_config(settings)), validate_only=args.dry_run).run_once()
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed conversions upload: {exc}\n")
        return 1
    finally:
        lock.release()
        store.close()
    for conversion_id, outcome in report.results:
        print(f"{conversion_id}  {outcome.state:<8}  {outcome.reason}")
    mode = "dry run (validate_only, nothing stored), would be" if args.dry_run else "done"
    summary = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items())) or "nothing due"
    print(f"{mode}: {summary}")
    if report.confirmed:
        final = ", ".join(f"{state} {count}" for state, count in sorted(report.confirmed.items()))
        print(f"Google's final status of earlier uploads: {final}")
    return 0


def cmd_ads_check(args: argparse.Namespace) -> int:
    from eslamed.cli import _settings
    from eslamed.conversions.ads_check import check_account

    problems, facts = check_account(ads_config(_settings()))
    for line in facts:
        print(f"ok    {line}")
    for line in problems:
        print(f"FIX   {line}")
    print("Google Ads is ready for uploads" if not problems else f"{len(problems)} problem(s) to fix")
    return 1 if problems else 0


def register(sub: argparse._SubParsersAction) -> None:
    conversions = sub.add_parser("conversions", help="send confirmed sales to Google Ads")
    conversions_sub = conversions.add_subparsers(dest="action", required=True)
    upload = conversions_sub.add_parser("upload", help="upload due sales now (for cron)")
    upload.add_argument("--dry-run", action="store_true", help="validate_only: Google checks, stores nothing")
    upload.set_defaults(func=cmd_upload)

    ads = sub.add_parser("ads", help="Google Ads account checks")
    ads_sub = ads.add_subparsers(dest="action", required=True)
    check = ads_sub.add_parser("check", help="verify customer and conversion action accept uploads")
    check.set_defaults(func=cmd_ads_check)
