"""The one place where configuration is read.

Every value comes from the environment (optionally seeded from a `.env` file). A bad or
missing value raises `ConfigError` naming the variable, so the server refuses to start
with one clear line instead of failing later on a request. Integrations (Telegram, WhatsApp,
Web Push, webhooks, backups, Google Ads) are typed sections of `Settings.integrations`: each
is off or complete, a half-set one names what is missing, and an unknown variable under one of
our prefixes (a typo such as TELEGRAM_CHATID) names the setting it was probably meant to be.
No other module reads the environment.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
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
class Retention:
    """How long personal data is kept (KVKK art. 7); the KVKK page states these numbers."""

    events_months: int = 25
    """Events of months older than this are dropped, a whole monthly partition at a time."""
    leads_months: int = 36
    """Leads older than this are anonymised: counted in the stats, no longer a person."""


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
    retention: Retention = field(default_factory=lambda: Retention())
    integrations: Integrations = field(default_factory=lambda: Integrations())

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


@dataclass(frozen=True)
class TelegramSettings:
    """The owner's Telegram chat: on when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are both set."""

    bot_token: str
    chat_id: str
    api_base: str = "https://api.telegram.org"


@dataclass(frozen=True)
class WhatsAppSettings:
    """The owner's WhatsApp message (a template) about a new lead: on when all four ids are set."""

    phone_number_id: str
    token: str
    template: str
    owner_number: str
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    template_lang: str = "tr"


@dataclass(frozen=True)
class WebPushSettings:
    """Push to the owner's PWA: on when VAPID_PRIVATE_KEY is set (`eslamed vapid-keys` makes one)."""

    private_key: str
    subject: str = "mailto:admin@localhost"


@dataclass(frozen=True)
class WebhookSettings:
    """Inbound webhooks; each is off until its secret is set (the route answers 404 naming it)."""

    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    call_secret: str = ""
    call_match_window_min: float = 5.0


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    region: str = "us-east-1"
    addressing_style: str = "path"
    server_side_encryption: str = "AES256"


@dataclass(frozen=True)
class BackupSettings:
    target: str = ""
    recipient: str = ""
    plaintext: bool = False
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12
    signing_key: str = ""
    identity_file: str = ""
    retry_pause_s: float = 0.5
    s3: S3Settings = field(default_factory=S3Settings)


@dataclass(frozen=True)
class GoogleAdsSettings:
    """As written in the environment; eslamed.conversions.settings turns it into the uploader's
    AdsConfig (defaults, stage actions, click windows) and says which pieces an upload still lacks."""

    upload_backend: str = ""
    customer_id: str = ""
    login_customer_id: str = ""
    conversion_action_id: str = ""
    developer_token: str = ""
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    service_account_file: str = ""
    token_uri: str = ""
    endpoint: str = ""
    datamanager_endpoint: str = ""
    ca_file: str = ""
    stage_actions: str = ""
    click_window_days: str = ""
    upload_interval_s: float = 60.0
    timeout_s: float = 30.0
    costs_interval_s: float = 4 * 3600.0
    """How often the server re-imports the trailing week of ad spend (late cost corrections land)."""

    @property
    def any_set(self) -> bool:
        return any(
            getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("upload_interval_s", "timeout_s", "costs_interval_s")
        )


@dataclass(frozen=True)
class Integrations:
    telegram: TelegramSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    webpush: WebPushSettings | None = None
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    google_ads: GoogleAdsSettings = field(default_factory=GoogleAdsSettings)
    public_base_url: str = ""
    """Where the owner's links (admin lead pages) point."""


# Prefixes only eslamed reads: a variable under one of them that no setting has is a typo.
# (GOOGLE_ADS_ is shared with the google-ads library's own variables, so it is not policed.)
OWNED_PREFIXES = ("TELEGRAM_", "WHATSAPP_", "VAPID_", "CALL_", "BACKUP_", "S3_", "DATAMANAGER_")
INTEGRATION_VARIABLES = frozenset(
    {
        *(f"TELEGRAM_{n}" for n in ("BOT_TOKEN", "CHAT_ID", "API_BASE")),
        *(
            f"WHATSAPP_{n}"
            for n in (
                "PHONE_NUMBER_ID",
                "TOKEN",
                "TEMPLATE",
                "OWNER_NUMBER",
                "API_BASE",
                "API_VERSION",
                "TEMPLATE_LANG",
                "APP_SECRET",
                "VERIFY_TOKEN",
            )
        ),
        "VAPID_PRIVATE_KEY",
        "VAPID_SUBJECT",
        "CALL_WEBHOOK_SECRET",
        "CALL_MATCH_WINDOW_MIN",
        *(
            f"BACKUP_{n}"
            for n in (
                "TARGET",
                "RECIPIENT",
                "PLAINTEXT",
                "KEEP_DAILY",
                "KEEP_WEEKLY",
                "KEEP_MONTHLY",
                "SIGNING_KEY",
                "IDENTITY_FILE",
                "RETRY_PAUSE_S",
            )
        ),
        *(
            f"S3_{n}"
            for n in (
                "ENDPOINT_URL",
                "ACCESS_KEY_ID",
                "SECRET_ACCESS_KEY",
                "REGION",
                "ADDRESSING_STYLE",
                "SERVER_SIDE_ENCRYPTION",
            )
        ),
        "DATAMANAGER_ENDPOINT",
    }
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


def _number(env: Mapping[str, str], name: str, default: float, cast: type) -> float:
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


@dataclass(frozen=True)
class ProcessOptions:
    """How the processes are started: read without the rest of the configuration, so `eslamed site
    build` runs in an image build with no secrets, and gunicorn.conf.py reads its own options here."""

    bind: str
    workers: int
    log_level: str
    access_log: str | None
    site_dist: Path
    metrics_dir: str | None
    """PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py sets for its workers: the workers' metric
    files are read together from there; unset (a test's Flask client), this process's own are."""
    retention: Retention = field(default_factory=lambda: Retention())
    """Read here too: `eslamed site build` writes the numbers into the KVKK page."""


def process_options(env: dict[str, str] | None = None) -> ProcessOptions:
    values = os.environ if env is None else env
    return ProcessOptions(
        bind=values.get("ESLAMED_BIND") or "127.0.0.1:8000",
        workers=int(_number(values, "ESLAMED_WORKERS", 2, int)),
        log_level=values.get("ESLAMED_LOG_LEVEL") or "info",
        access_log=values.get("ESLAMED_ACCESS_LOG") or None,
        site_dist=Path(values.get("SITE_DIST") or "site/dist"),
        metrics_dir=values.get("PROMETHEUS_MULTIPROC_DIR") or None,
        retention=retention_options(values),
    )


def _unknown_integration_variables(env: dict[str, str]) -> None:
    for name in sorted(env):
        if name.startswith(OWNED_PREFIXES) and name not in INTEGRATION_VARIABLES:
            guess = difflib.get_close_matches(name, INTEGRATION_VARIABLES, n=1)
            hint = f"; did you mean {guess[0]}?" if guess else ""
            raise ConfigError(f"{name} is not a setting eslamed knows{hint}")


def retention_options(values: Mapping[str, str]) -> Retention:
    return Retention(
        events_months=_months(values, "RETENTION_EVENTS_MONTHS", 25),
        leads_months=_months(values, "RETENTION_LEADS_MONTHS", 36),
    )


def _months(values: Mapping[str, str], name: str, default: int) -> int:
    months = int(_number(values, name, default, int))
    if not 1 <= months <= 1200:
        raise ConfigError(f"{name} must be a whole number of months, 1 to 1200 (got {months})")
    return months


def _all_or_none(env: dict[str, str], names: tuple[str, ...], what: str) -> bool:
    """True when every one is set, False when none is; half of them is a mistake named at start."""
    present = [name for name in names if env.get(name, "").strip()]
    if present and len(present) < len(names):
        missing = ", ".join(name for name in names if name not in present)
        raise ConfigError(f"{what} is half set: {', '.join(present)} set but {missing} missing")
    return bool(present)


def _text(env: dict[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def load_integrations(env: dict[str, str]) -> Integrations:
    _unknown_integration_variables(env)
    telegram = None
    if _all_or_none(env, ("TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"), "Telegram"):
        telegram = TelegramSettings(
            env["TELEGRAM_BOT_TOKEN"].strip(),
            env["TELEGRAM_CHAT_ID"].strip(),
            _text(env, "TELEGRAM_API_BASE", TelegramSettings.api_base),
        )
    whatsapp = None
    needed = ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TOKEN", "WHATSAPP_TEMPLATE", "WHATSAPP_OWNER_NUMBER")
    if _all_or_none(env, needed, "WhatsApp notification"):
        whatsapp = WhatsAppSettings(
            *(env[name].strip() for name in needed),
            api_base=_text(env, "WHATSAPP_API_BASE", WhatsAppSettings.api_base),
            api_version=_text(env, "WHATSAPP_API_VERSION", WhatsAppSettings.api_version),
            template_lang=_text(env, "WHATSAPP_TEMPLATE_LANG", WhatsAppSettings.template_lang),
        )
    key = _text(env, "VAPID_PRIVATE_KEY")
    webpush = WebPushSettings(key, _text(env, "VAPID_SUBJECT", WebPushSettings.subject)) if key else None
    window = _number(env, "CALL_MATCH_WINDOW_MIN", 5.0, float)
    if window > 120:
        raise ConfigError(f"CALL_MATCH_WINDOW_MIN: {window:g} must be minutes between 0 and 120")
    webhooks = WebhookSettings(
        whatsapp_app_secret=_text(env, "WHATSAPP_APP_SECRET"),
        whatsapp_verify_token=_text(env, "WHATSAPP_VERIFY_TOKEN"),
        call_secret=_text(env, "CALL_WEBHOOK_SECRET"),
        call_match_window_min=window,
    )
    s3 = S3Settings(
        endpoint_url=_text(env, "S3_ENDPOINT_URL"),
        access_key_id=_text(env, "S3_ACCESS_KEY_ID"),
        secret_access_key=_text(env, "S3_SECRET_ACCESS_KEY"),
        region=_text(env, "S3_REGION", S3Settings.region),
        addressing_style=_text(env, "S3_ADDRESSING_STYLE", S3Settings.addressing_style),
        server_side_encryption=_text(env, "S3_SERVER_SIDE_ENCRYPTION", S3Settings.server_side_encryption),
    )
    backup = BackupSettings(
        target=_text(env, "BACKUP_TARGET"),
        recipient=_text(env, "BACKUP_RECIPIENT"),
        plaintext=_text(env, "BACKUP_PLAINTEXT") == "1",
        keep_daily=int(_number(env, "BACKUP_KEEP_DAILY", 7, int)),
        keep_weekly=int(_number(env, "BACKUP_KEEP_WEEKLY", 4, int)),
        keep_monthly=int(_number(env, "BACKUP_KEEP_MONTHLY", 12, int)),
        signing_key=_text(env, "BACKUP_SIGNING_KEY"),
        identity_file=_text(env, "BACKUP_IDENTITY_FILE"),
        retry_pause_s=_number(env, "BACKUP_RETRY_PAUSE_S", 0.5, float),
        s3=s3,
    )
    google_ads = GoogleAdsSettings(
        upload_backend=_text(env, "GOOGLE_ADS_UPLOAD_BACKEND"),
        customer_id=_text(env, "GOOGLE_ADS_CUSTOMER_ID"),
        login_customer_id=_text(env, "GOOGLE_ADS_LOGIN_CUSTOMER_ID"),
        conversion_action_id=_text(env, "GOOGLE_ADS_CONVERSION_ACTION_ID"),
        developer_token=_text(env, "GOOGLE_ADS_DEVELOPER_TOKEN"),
        client_id=_text(env, "GOOGLE_ADS_CLIENT_ID"),
        client_secret=_text(env, "GOOGLE_ADS_CLIENT_SECRET"),
        refresh_token=_text(env, "GOOGLE_ADS_REFRESH_TOKEN"),
        service_account_file=_text(env, "GOOGLE_ADS_SERVICE_ACCOUNT_FILE"),
        token_uri=_text(env, "GOOGLE_ADS_TOKEN_URI"),
        endpoint=_text(env, "GOOGLE_ADS_ENDPOINT"),
        datamanager_endpoint=_text(env, "DATAMANAGER_ENDPOINT"),
        ca_file=_text(env, "GOOGLE_ADS_CA_FILE"),
        stage_actions=_text(env, "GOOGLE_ADS_STAGE_ACTIONS"),
        click_window_days=_text(env, "GOOGLE_ADS_CLICK_WINDOW_DAYS"),
        upload_interval_s=_number(env, "GOOGLE_ADS_UPLOAD_INTERVAL_S", 60.0, float),
        timeout_s=_number(env, "GOOGLE_ADS_TIMEOUT_S", 30.0, float),
        costs_interval_s=_number(env, "GOOGLE_ADS_COSTS_INTERVAL_S", 4 * 3600.0, float),
    )
    return Integrations(
        telegram=telegram,
        whatsapp=whatsapp,
        webpush=webpush,
        webhooks=webhooks,
        backup=backup,
        google_ads=google_ads,
        public_base_url=_text(env, "PUBLIC_BASE_URL"),
    )


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
        retention=retention_options(values),
        integrations=load_integrations(values),
    )
