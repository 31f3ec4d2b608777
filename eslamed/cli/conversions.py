"""`eslamed conversions upload [--dry-run]` and `retry [--failed] [--now]` (for cron and the owner),
`eslamed ads check` and `eslamed ads costs [--days N]`. A set-up that cannot send or read exits
non-zero, so cron mails the owner."""

from __future__ import annotations

import argparse
import sys

from eslamed.cli.settings import command_settings
from eslamed.conversions.ledger import requeue
from eslamed.conversions.model import FAILED, RETRY
from eslamed.conversions.settings import ads_config, fingerprint_file, upload_leader, upload_status
from eslamed.conversions.uploader import Uploader, make_backend, retry_on_config_change
from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.store import Store, StoreUnavailable

NOT_CONFIGURED = 3
"""Exit status when Google Ads is not configured: distinct from 1 (ClickHouse down) and 2 (bad config)."""


def _configuredcommand_settings() -> Settings | None:
    settings = command_settings(need_geoip=False)
    status = upload_status(settings)
    if status["configured"]:
        return settings
    missing = ", ".join(status["missing"])  # type: ignore[arg-type]
    sys.stderr.write(
        f"eslamed conversions: {status['message']}"
        + (f"; set {missing}" if missing else "")
        + "; nothing sent, sales stay PENDING\n"
    )
    return None


def _print_report(report, dry_run: bool = False) -> None:
    for conversion_id, outcome in report.results:
        print(f"{conversion_id}  {outcome.state:<8}  {outcome.reason}")
    mode = "dry run (validate_only, nothing stored), would be" if dry_run else "done"
    summary = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items())) or "nothing due"
    print(f"{mode}: {summary}")
    if report.confirmed:
        final = ", ".join(f"{state} {count}" for state, count in sorted(report.confirmed.items()))
        print(f"Google's final status of earlier uploads: {final}")


def _upload(settings: Settings, dry_run: bool = False) -> int:
    lock = upload_leader(settings)
    if not lock.acquire():
        print(f"another uploader holds {lock.path}; nothing sent")
        return 0
    store = Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 10.0))
    config = ads_config(settings)
    try:
        if not dry_run:
            requeued = retry_on_config_change(store, config, fingerprint_file(settings), utc_now())
            if requeued:
                print(f"Google settings changed: {requeued} RETRY sale(s) go now, not after their wait")
        report = Uploader(store, make_backend(config), validate_only=dry_run).run_once()
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed conversions: {exc}\n")
        return 1
    finally:
        lock.release()
        store.close()
    _print_report(report, dry_run)
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    settings = _configuredcommand_settings()
    if settings is None:
        return NOT_CONFIGURED
    return _upload(settings, dry_run=args.dry_run)


def cmd_retry(args: argparse.Namespace) -> int:
    """Re-queue RETRY sales (and FAILED with --failed); --now also uploads them at once."""
    settings = _configuredcommand_settings()
    if settings is None:
        return NOT_CONFIGURED
    states = (RETRY, FAILED) if args.failed else (RETRY,)
    store = Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 10.0))
    try:
        rows = requeue(store, states, utc_now())
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed conversions: {exc}\n")
        return 1
    finally:
        store.close()
    for row in rows:
        print(f"{row['conversion_id']}  {row['state']:<8} -> PENDING  {row['reason']}")
    print(f"queued again: {len(rows)} ({' and '.join(states)})")
    if not args.now:
        if rows:
            print("the server's uploader or the next `eslamed conversions upload` sends them")
        return 0
    return _upload(settings)


def cmd_ads_check(args: argparse.Namespace) -> int:
    from eslamed.conversions.ads_check import check_account

    problems, facts = check_account(ads_config(command_settings(need_geoip=False)))
    for line in facts:
        print(f"ok    {line}")
    for line in problems:
        print(f"FIX   {line}")
    print("Google Ads is ready for uploads" if not problems else f"{len(problems)} problem(s) to fix")
    return 1 if problems else 0


def cmd_ads_costs(args: argparse.Namespace) -> int:
    """Import the account's spend of the last N days (replacing what an earlier import stored)."""
    from eslamed.conversions.costs import MAX_DAYS, run_import

    if not 1 <= args.days <= MAX_DAYS:
        sys.stderr.write(f"eslamed ads costs: --days must be 1 to {MAX_DAYS}\n")
        return 2
    settings = command_settings(need_geoip=False)
    config = ads_config(settings)
    missing = config.missing_to_read()
    if missing:
        sys.stderr.write(f"eslamed ads costs: Google Ads not configured; set {', '.join(missing)}\n")
        return NOT_CONFIGURED
    store = Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 10.0))
    try:
        report = run_import(store, config, args.days, utc_now())
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed ads costs: {exc}\n")
        return 1
    finally:
        store.close()
    if not report.ok:
        sys.stderr.write(f"eslamed ads costs: {report.reason}\n")
        return 1
    print(
        f"customer {report.customer_id} ({report.currency}), {report.first} to {report.last}: "
        f"{report.rows} campaign-day(s) of spend stored"
        + (f", {report.zeroed} no longer reported set to zero" if report.zeroed else "")
    )
    print(
        f"clicks mapped to campaigns: {report.clicks_mapped} of {report.clicks_asked}"
        + (f" (click_view asked for {', '.join(report.click_days)})" if report.click_days else "")
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    conversions = sub.add_parser("conversions", help="send confirmed sales to Google Ads")
    conversions_sub = conversions.add_subparsers(dest="action", required=True)
    upload = conversions_sub.add_parser("upload", help="upload due sales now (for cron)")
    upload.add_argument("--dry-run", action="store_true", help="validate_only: Google checks, stores nothing")
    upload.set_defaults(func=cmd_upload)
    retry = conversions_sub.add_parser("retry", help="queue RETRY (and FAILED) sales again from attempt zero")
    retry.add_argument("--failed", action="store_true", help="also FAILED sales (e.g. after 12 attempts)")
    retry.add_argument("--now", action="store_true", help="upload them at once instead of at the next run")
    retry.set_defaults(func=cmd_retry)

    ads = sub.add_parser("ads", help="Google Ads account checks")
    ads_sub = ads.add_subparsers(dest="action", required=True)
    check = ads_sub.add_parser("check", help="verify customer and conversion action accept uploads")
    check.set_defaults(func=cmd_ads_check)
    costs = ads_sub.add_parser("costs", help="import ad spend per campaign and day (replaces, never adds)")
    costs.add_argument("--days", type=int, default=7, help="how many days back, today included (default 7)")
    costs.set_defaults(func=cmd_ads_costs)
