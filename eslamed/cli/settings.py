"""The configuration every subcommand reads: the server's own, or exit 2 naming what is wrong."""

from __future__ import annotations

import sys

from eslamed.core.config import ConfigError, Settings, load_settings


def command_settings(need_geoip: bool = True) -> Settings:
    try:
        return load_settings(need_geoip=need_geoip)
    except ConfigError as exc:
        sys.stderr.write(f"eslamed: configuration error: {exc}\n")
        raise SystemExit(2) from exc
