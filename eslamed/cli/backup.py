"""`eslamed backup` and `eslamed restore`; heavy imports wait until a command runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from eslamed.core import locks
from eslamed.core.config import Settings

if TYPE_CHECKING:
    from eslamed.core.store import Store


def _progress(line: str) -> None:
    print(line, flush=True)


def _store(settings: Settings) -> Store:
    from eslamed.core.store import Store

    return Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 30.0))


def backup_recipient(settings: Settings) -> str | None:
    """BACKUP_RECIPIENT, or None when plaintext was chosen explicitly outside production.

    Refuses otherwise with the one-line reason: a backup nobody meant to leave unencrypted
    is never written."""
    from eslamed.backup.manifest import BackupRefused

    backup = settings.integrations.backup
    recipient = backup.recipient
    if recipient:
        return recipient
    if settings.production:
        raise BackupRefused("BACKUP_RECIPIENT is not set; production backups are always encrypted")
    if backup.plaintext:
        return None
    raise BackupRefused(
        "BACKUP_RECIPIENT is not set: make a key pair with `eslamed backup-keygen` "
        "(or set BACKUP_PLAINTEXT=1 for an unencrypted development backup)"
    )


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
            backup = settings.integrations.backup
            keep = (backup.keep_daily, backup.keep_weekly, backup.keep_monthly)
            recipient = backup_recipient(settings)
            target = open_target(args.target or configured_location(settings), settings.integrations.backup)
            signing_key = backup.signing_key
            run_backup(
                _store(settings), target, recipient, progress=_progress, keep=keep, signing_key=signing_key
            )
        except Exception as exc:
            report_failure(settings, f"{exc.__class__.__name__}: {exc}")
            return 1
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from eslamed.backup.manifest import BackupRefused
    from eslamed.backup.restore import run_restore
    from eslamed.backup.targets import TargetError, configured_location, open_target
    from eslamed.core.store import StoreUnavailable
    from eslamed.privacy.erase import apply_ledger

    try:
        identity = args.identity or settings.integrations.backup.identity_file
        target = open_target(args.target or configured_location(settings), settings.integrations.backup)
        store = _store(settings)
        run_restore(
            store,
            target,
            args.backup,
            progress=_progress,
            identity=Path(identity) if identity else None,
            allow_plaintext=args.allow_plaintext,
            allow_unsigned=args.allow_unsigned,
        )
        # KVKK: an old backup must not bring an erased person back (the ledger under DATA_DIR and the
        # restored `erasures` table, both applied again).
        apply_ledger(store, settings, progress=_progress)
    except (BackupRefused, TargetError, StoreUnavailable) as exc:
        sys.stderr.write(f"eslamed restore: refused: {exc}\n")
        return 1
    return 0


def cmd_backup_keygen(args: argparse.Namespace) -> int:
    from eslamed.backup.crypto import MANIFEST_KEY_LINE, new_key_pair, new_signing_pair, private_file

    identity, recipient = new_key_pair()
    signing_key, verify_key = new_signing_pair()
    try:
        out = private_file(Path(args.out), exclusive=True)
    except FileExistsError:
        sys.stderr.write(f"eslamed backup-keygen: {args.out} exists; not overwriting a key\n")
        return 1
    with out:
        out.write(f"# public key: {recipient}\n{MANIFEST_KEY_LINE}{verify_key}\n{identity}\n".encode())
    print(
        f"private key written to {args.out} (keep it OFF the server); for the server's settings:\n"
        f"BACKUP_RECIPIENT={recipient}\nBACKUP_SIGNING_KEY={signing_key}"
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction, settings: Callable[[], Settings]) -> None:
    where = "s3://bucket/prefix or a directory (default: BACKUP_TARGET, else DATA_DIR/backups)"
    backup = sub.add_parser("backup", help="back up leads, conversions and new days of events")
    backup.add_argument("--target", help=where)
    backup.set_defaults(func=lambda args: cmd_backup(args, settings()))
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("backup", help="a backup id such as 20261125T031700Z, or latest")
    restore.add_argument("--target", help=where)
    restore.add_argument("--identity", help="the age private key file (default: BACKUP_IDENTITY_FILE)")
    restore.add_argument(
        "--allow-plaintext",
        action="store_true",
        help="also read files that are not encrypted (backups made with BACKUP_PLAINTEXT=1)",
    )
    restore.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="read a backup whose manifest is not signed (made before BACKUP_SIGNING_KEY was set)",
    )
    restore.set_defaults(func=lambda args: cmd_restore(args, settings()))
    keygen = sub.add_parser("backup-keygen", help="make the age key pair that encrypts backups")
    keygen.add_argument("out", help="private key file (0600); run this on your own machine, not the server")
    keygen.set_defaults(func=cmd_backup_keygen)
