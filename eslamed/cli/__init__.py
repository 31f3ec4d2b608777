"""The `eslamed` command. Every subcommand reads the same configuration as the server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from eslamed.cli import backup as backup_command
from eslamed.cli import conversions as conversion_commands
from eslamed.cli import privacy as privacy_commands
from eslamed.cli import site as site_cli
from eslamed.cli.settings import command_settings
from eslamed.core.config import process_options
from eslamed.core.durable import PRIVATE_UMASK
from eslamed.notify.vapid import cmd_vapid_keys

REPO_ROOT = Path(__file__).resolve().parents[2]


def cmd_serve(args: argparse.Namespace) -> int:
    command_settings()
    argv = [
        "gunicorn",
        "-c",
        str(REPO_ROOT / "gunicorn.conf.py"),
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
    ]
    command = [sys.executable, "-m", *argv, "eslamed.wsgi:app"]
    os.execvp(sys.executable, command)  # noqa: S606 - this process becomes gunicorn
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from eslamed.core.store import Store, StoreUnavailable

    settings = command_settings()
    store = Store(settings.clickhouse, timeout_s=max(settings.clickhouse_timeout_s, 10.0))
    try:
        for statement in store.migrate(cluster=args.cluster):
            print(f"ok  {statement}")
        durable = store.fsync_by_table()
    except StoreUnavailable as exc:
        sys.stderr.write(f"eslamed migrate: {exc}\n")
        return 1
    print(f"schema applied to database {settings.clickhouse.database}")
    print(fsync_report(durable))
    return 0


def fsync_report(durable: dict[str, bool]) -> str:
    """One line on what the running server does with an acknowledged insert, read from the server."""
    if all(durable.values()):
        return f"fsync_after_insert: on for {', '.join(durable)} (ClickHouse fsyncs before it acknowledges)"
    off = ", ".join(table for table, on in durable.items() if not on)
    return (
        f"fsync_after_insert: off for {off} (this server has no such setting or it is 0); "
        "leads are written ahead to the fsync'd journal instead"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eslamed", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the site, API and admin under gunicorn")
    options = process_options()
    serve.add_argument("--bind", default=options.bind)
    serve.add_argument("--workers", type=int, default=options.workers)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="create the database and tables (idempotent)")
    migrate.add_argument("--cluster", help="ClickHouse cluster name: Replicated tables + Distributed")
    migrate.set_defaults(func=cmd_migrate)
    backup_command.add_parsers(sub, command_settings)
    site_cli.add_parser(sub)
    conversion_commands.register(sub)
    privacy_commands.register(sub)
    vapid = sub.add_parser("vapid-keys", help="print a new VAPID key pair for Web Push")
    vapid.set_defaults(func=cmd_vapid_keys)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(PRIVATE_UMASK)  # backups, journals and outboxes written by a command are the owner's alone
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
