"""The one place where configuration is read.

Every value comes from the environment (optionally seeded from a `.env` file). A bad or
missing value raises `ConfigError` naming the variable, so the server refuses to start
with one clear line instead of failing later on a request.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import maxminddb

from eslamed.core.durable import MEMORY_FILESYSTEMS, filesystem_type


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class ClickHouseTarget:
    host: str
    port: int
    user: str
    password: str
    database: str


@dataclass(frozen=True)
class Settings:
    clickhouse: ClickHouseTarget
    admin_secret: str
    geoip_city_db: Path
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    spool_dir: Path
    data_dir: Path
    site_origins: tuple[str, ...]
    production: bool = False
    flush_interval_s: float = 1.0
    flush_batch_size: int = 1000
    ring_capacity_bytes: int = 8 * 1024 * 1024
    spill_segment_bytes: int = 8 * 1024 * 1024
    spill_max_bytes: int = 1024 * 1024 * 1024
    min_free_disk_bytes: int = 256 * 1024 * 1024
    clickhouse_timeout_s: float = 2.0
    track_rate_limit: str = "600/minute"
    lead_rate_limit: str = "5/minute"
    admin_allowed_ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    admin_fail_limit: str = "20/minute"
    webhook_fail_limit: str = "20/minute"
    cloudflare_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    metrics_token: str = ""
    site_dist: Path = Path("site/dist")
    notify_retry_s: float = 5.0
    notify_sweep_s: float = 2.0
    notify_max_attempts: int = 12
    events_durability: str = "process"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def spill_dir(self) -> Path:
        return self.data_dir / "spill"

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def locks_dir(self) -> Path:
        return self.spool_dir / "locks"

    @property
    def metrics_dir(self) -> Path:
        return self.spool_dir / "metrics"

    @property
    def ratelimit_file(self) -> Path:
        return self.spool_dir / "ratelimit.bin"

    def get(self, name: str, default: str = "") -> str:
        """Optional integration settings (Telegram, WhatsApp, Google Ads…) that other modules read."""
        return self.extra.get(name, default)


OPTIONAL_PREFIXES = (
    "TELEGRAM_",
    "WHATSAPP_",
    "VAPID_",
    "WEBPUSH_",
    "GOOGLE_ADS_",
    "DATAMANAGER_",
    "BACKUP_",
    "S3_",
    "PUBLIC_BASE_URL",  # truth-owner: where the owner's links (admin lead pages) point
    "CALL_",  # issue 16: CALL_WEBHOOK_SECRET, CALL_MATCH_WINDOW_MIN
)


# Cloudflare's published edge ranges (https://www.cloudflare.com/ips-v4 and /ips-v6, 2024):
# the only peers whose CF-Connecting-IP is believed. ops/Caddyfile trusts the same list.
CLOUDFLARE_RANGES = (
    "173.245.48.0/20,103.21.244.0/22,103.22.200.0/22,103.31.4.0/22,141.101.64.0/18,"
    "108.162.192.0/18,190.93.240.0/20,188.114.96.0/20,197.234.240.0/22,198.41.128.0/17,"
    "162.158.0.0/15,104.16.0.0/13,104.24.0.0/14,172.64.0.0/13,131.0.72.0/22,"
    "2400:cb00::/32,2606:4700::/32,2803:f800::/32,2405:b500::/32,2405:8100::/32,"
    "2a06:98c0::/29,2c0f:f248::/32"
)

# Values that ship in ops/env.example and docs: anyone who read them knows them.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "example", "placeholder", "your-", "secret", "password")
MIN_DISTINCT_CHARS = 10


# Secrets that authenticate a webhook sender (issue 27 F): set means strong, as ADMIN_SECRET in production.
WEBHOOK_SECRETS = ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "CALL_WEBHOOK_SECRET")


def weak_secret(value: str) -> str | None:
    """Why a production secret is guessable, or None. Length alone is not enough: the example
    value is 45 characters and public, and "a" * 24 is 24 characters."""
    lowered = value.lower()
    for marker in PLACEHOLDER_MARKERS:
        if marker in lowered:
            return f"contains the placeholder text {marker!r}"
    if len(set(value)) < MIN_DISTINCT_CHARS:
        return f"has fewer than {MIN_DISTINCT_CHARS} different characters"
    return None


def _production_secret(name: str, value: str, min_len: int = 24) -> None:
    if len(value) < min_len:
        raise ConfigError(f"{name} must be at least {min_len} characters in production")
    reason = weak_secret(value)
    if reason:
        raise ConfigError(f"{name} {reason}; generate one with: openssl rand -hex 24")


def parse_clickhouse_url(url: str) -> ClickHouseTarget:
    parsed = urlparse(url)
    if parsed.scheme != "clickhouse" or not parsed.hostname:
        raise ConfigError("CLICKHOUSE_URL must look like clickhouse://user:password@host:9000/database")
    database = parsed.path.lstrip("/") or "eslamed"
    if not database.replace("_", "").isalnum():
        raise ConfigError(f"CLICKHOUSE_URL database name {database!r} must be letters, digits and _")
    return ClickHouseTarget(
        host=parsed.hostname,
        port=parsed.port or 9000,
        user=unquote(parsed.username or "default"),
        password=unquote(parsed.password or ""),
        database=database,
    )


def parse_cidrs(name: str, raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{name}: {part!r} is not a CIDR or IP address") from exc
    return tuple(nets)


def _cloudflare(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Unset: Cloudflare's published ranges; "none": no peer is Cloudflare (no CDN in front)."""
    if raw.strip().lower() == "none":
        return ()
    return parse_cidrs("CLOUDFLARE_PROXIES", raw or CLOUDFLARE_RANGES)


def check_events_durability(mode: str, spool_dir: Path) -> None:
    """host promises that an event answered 202 survives a power loss: memory cannot keep that."""
    if mode not in ("process", "host"):
        raise ConfigError(f"EVENTS_DURABILITY: {mode!r} must be process or host")
    kind = filesystem_type(spool_dir)
    if mode == "host" and kind in MEMORY_FILESYSTEMS:
        raise ConfigError(
            f"EVENTS_DURABILITY=host: SPOOL_DIR {spool_dir} is on {kind}, which a power loss empties;"
            " set SPOOL_DIR to a directory on disk"
        )


def check_geoip_db(path: Path) -> None:
    """Open and probe the database once so a broken file stops the server at start, not per request."""
    if not path.is_file():
        raise ConfigError(f"GEOIP_CITY_DB: file not found: {path}")
    try:
        with maxminddb.open_database(str(path), maxminddb.MODE_MMAP) as reader:
            reader.get("81.2.69.142")
            reader.get("2001:db8::1")
    except Exception as exc:
        raise ConfigError(f"GEOIP_CITY_DB: {path} is not a readable MaxMind database ({exc})") from exc


def _number(env: dict[str, str], name: str, default: float, cast: type) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = cast(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a number") from exc
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than zero")
    return value


def _required(env: dict[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required but not set")
    return value


def load_settings(
    env: dict[str, str] | None = None, dotenv: Path | None = Path(".env"), need_geoip: bool = True
) -> Settings:
    """Build settings from the environment; `.env` only fills variables the environment lacks.
    Commands that never enrich a request (conversion upload) pass need_geoip=False."""
    values: dict[str, str] = {}
    if env is None:
        if dotenv is not None and dotenv.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ)
    else:
        values.update(env)

    production = values.get("ESLAMED_ENV", "development") == "production"
    admin_secret = _required(values, "ADMIN_SECRET")
    metrics_token = values.get("METRICS_TOKEN", "").strip()
    clickhouse = parse_clickhouse_url(_required(values, "CLICKHOUSE_URL"))
    for name in WEBHOOK_SECRETS:
        if values.get(name) and not values[name].strip():
            raise ConfigError(f"{name} is blank; unset it to switch the webhook off, or set a real secret")
        if production and values.get(name):
            _production_secret(name, values[name])
    if production:
        _production_secret("ADMIN_SECRET", admin_secret)
        if metrics_token:
            _production_secret("METRICS_TOKEN", metrics_token)
        if clickhouse.password:
            _production_secret("CLICKHOUSE_URL password", clickhouse.password, min_len=0)

    geoip = Path(_required(values, "GEOIP_CITY_DB") if need_geoip else values.get("GEOIP_CITY_DB", ""))
    if need_geoip:
        check_geoip_db(geoip)

    origins = tuple(o.strip().rstrip("/") for o in values.get("SITE_ORIGINS", "").split(",") if o.strip())
    for origin in origins:
        if urlparse(origin).scheme not in ("http", "https"):
            raise ConfigError(f"SITE_ORIGINS: {origin!r} must start with http:// or https://")

    spool_dir = Path(values.get("SPOOL_DIR") or "/dev/shm/eslamed")  # noqa: S108 - shared memory by design
    events_durability = values.get("EVENTS_DURABILITY") or "process"
    check_events_durability(events_durability, spool_dir)

    return Settings(
        clickhouse=clickhouse,
        admin_secret=admin_secret,
        geoip_city_db=geoip,
        trusted_proxies=parse_cidrs("TRUSTED_PROXIES", values.get("TRUSTED_PROXIES", "")),
        spool_dir=spool_dir,
        events_durability=events_durability,
        data_dir=Path(values.get("DATA_DIR") or "var"),
        site_origins=origins,
        production=production,
        flush_interval_s=_number(values, "FLUSH_INTERVAL_S", 1.0, float),
        flush_batch_size=int(_number(values, "FLUSH_BATCH_SIZE", 1000, int)),
        ring_capacity_bytes=int(_number(values, "RING_CAPACITY_BYTES", 8 * 1024 * 1024, int)),
        spill_segment_bytes=int(_number(values, "SPILL_SEGMENT_BYTES", 8 * 1024 * 1024, int)),
        spill_max_bytes=int(_number(values, "SPILL_MAX_BYTES", 1024 * 1024 * 1024, int)),
        min_free_disk_bytes=int(_number(values, "MIN_FREE_DISK_BYTES", 256 * 1024 * 1024, int)),
        clickhouse_timeout_s=_number(values, "CLICKHOUSE_TIMEOUT_S", 2.0, float),
        track_rate_limit=values.get("TRACK_RATE_LIMIT") or "600/minute",
        lead_rate_limit=values.get("LEAD_RATE_LIMIT") or "5/minute",
        admin_allowed_ips=parse_cidrs("ADMIN_ALLOWED_IPS", values.get("ADMIN_ALLOWED_IPS", "")),
        admin_fail_limit=values.get("ADMIN_FAIL_LIMIT") or "20/minute",
        webhook_fail_limit=values.get("WEBHOOK_FAIL_LIMIT") or "20/minute",
        cloudflare_proxies=_cloudflare(values.get("CLOUDFLARE_PROXIES", "")),
        metrics_token=metrics_token,
        site_dist=Path(values.get("SITE_DIST") or "site/dist"),
        notify_retry_s=_number(values, "NOTIFY_RETRY_S", 5.0, float),
        notify_sweep_s=_number(values, "NOTIFY_SWEEP_S", 2.0, float),
        notify_max_attempts=int(_number(values, "NOTIFY_MAX_ATTEMPTS", 12, int)),
        extra={k: v for k, v in values.items() if k.startswith(OPTIONAL_PREFIXES)},
    )
