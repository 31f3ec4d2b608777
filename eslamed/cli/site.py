"""`eslamed site build`: render site/ into the folder the server (or any static host) serves.

Needs no database or secrets, so CI can build and check the site on its own. The output
folder is `--out`, else SITE_DIST (the variable the server reads), else site/dist.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eslamed.core.config import process_options
from eslamed.site.builder import BuildError, build_site

REPO_ROOT = Path(__file__).resolve().parents[2]


def cmd_build(args: argparse.Namespace) -> int:
    options = process_options()
    out = Path(args.out) if args.out else options.site_dist
    try:
        result = build_site(Path(args.source), out, options.retention)
    except BuildError as exc:
        sys.stderr.write(f"eslamed site build: {exc}\n")
        return 1
    print(result.report.table())
    print(f"built {len(result.pages)} pages and {len(result.assets)} assets into {result.out}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    site = sub.add_parser("site", help="the static site")
    site_sub = site.add_subparsers(dest="site_command", required=True)
    build = site_sub.add_parser("build", help="render site/ into SITE_DIST with budgets checked")
    build.add_argument("--source", default=str(REPO_ROOT / "site"), help="site source folder")
    build.add_argument("--out", default="", help="output folder (default: $SITE_DIST or site/dist)")
    build.set_defaults(func=cmd_build)
