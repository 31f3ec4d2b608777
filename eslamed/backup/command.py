"""`eslamed backup` and `eslamed restore`; heavy imports wait until a command runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from eslamed import locks
from eslamed.config import Settings

if TYPE_CHECKING:
    from eslamed.store import Store

KEEP_DEFAULTS = (("DAILY", 7), ("WEEKLY", 4), ("MONTHLY", 12))


def _progress(line: str) -> None:
    print(line, flush=True)


def _store(settings: Settings) -> Store:
    from eslamed.store import Store

    return Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 30.0))


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from eslamed.backup.alert import report_failure
    from eslamed.backup.export import run_backup
    from eslamed.backup.targets import configured_location, open_target

    # One run at a time: a second run's pruning would delete the first run's fresh files.
    lock = locks.try_lock(settings.data_dir / "backup.lock")
    if lock is None:
        report_failure(settings, "another backup is still running")
        return 1
    with os.fdopen(lock):
        try:
            keep = tuple(int(settings.get(f"BACKUP_KEEP_{p}") or d) for p, d in KEEP_DEFAULTS)
            target = open_target(args.target or configured_location(settings), settings)
            run_backup(_store(settings), target, progress=_progress, keep=keep)
        except Exception as exc:
            report_failure(settings, f"{exc.__class__.__name__}: {exc}")
            return 1
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from eslamed.backup.manifest import BackupRefused
    from eslamed.backup.restore import run_restore
    from eslamed.backup.targets import TargetError, configured_location, open_target
    from eslamed.store import StoreUnavailable

    try:
        target = open_target(args.target or configured_location(settings), settings)
        run_restore(_store(settings), target, args.backup, progress=_progress)
    except (BackupRefused, TargetError, StoreUnavailable) as exc:
        sys.stderr.write(f"eslamed restore: refused: {exc}\n")
        return 1
    return 0


def add_parsers(sub: argparse._SubParsersAction, settings: Callable[[], Settings]) -> None:
    where = "s3://bucket/prefix or a directory (default: BACKUP_TARGET, else DATA_DIR/backups)"
    backup = sub.add_parser("backup", help="back up leads, conversions and new days of events")
    backup.add_argument("--target", help=where)
    backup.set_defaults(func=lambda args: cmd_backup(args, settings()))
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("backup", help="a backup id such as 20261125T031700Z, or latest")
    restore.add_argument("--target", help=where)
    restore.set_defaults(func=lambda args: cmd_restore(args, settings()))
