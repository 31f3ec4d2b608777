"""Google upload settings read from the integration variables (GOOGLE_ADS_*, DATAMANAGER_*).

Missing values are not an error at start: sales simply stay PENDING and `upload_status()`
tells the admin why, so a shop can take leads before Google Ads is connected.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from eslamed.core.config import Settings
from eslamed.core.locks import Leader

UPLOAD_LOCK = "conversions-upload.lock"
BACKENDS = ("datamanager", "googleads")
DATAMANAGER_ENDPOINT = "datamanager.googleapis.com:443"
GOOGLE_ADS_ENDPOINT = "googleads.googleapis.com:443"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
STAGES = ("CONTACTED", "CONVERTED")
"""Lead statuses that can carry their own conversion action (CONVERTED is the sale itself)."""
DEFAULT_CLICK_WINDOW_DAYS = 90
DEFAULT_STAGE_VALUE = Decimal("1")


@dataclass(frozen=True)
class StageAction:
    """A lead stage's conversion action and the value sent with it (a sale sends its own revenue)."""

    stage: str
    action_id: str
    value: Decimal = DEFAULT_STAGE_VALUE


@dataclass(frozen=True)
class AdsConfig:
    backend: str
    customer_id: str
    login_customer_id: str
    conversion_action_id: str
    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    service_account_file: str
    token_uri: str
    datamanager_endpoint: str
    google_ads_endpoint: str
    ca_file: str
    interval_s: float
    timeout_s: float
    costs_interval_s: float = 4 * 3600.0
    stage_actions: tuple[StageAction, ...] = ()
    click_windows: tuple[tuple[str, int], ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)

    def stage_action(self, stage: str) -> StageAction | None:
        return next((s for s in self.stage_actions if s.stage == stage), None)

    def click_window_days(self, action_id: str) -> int:
        """The action's own click-through window where it is configured, else Google's 90 days."""
        return dict(self.click_windows).get(action_id or self.conversion_action_id, DEFAULT_CLICK_WINDOW_DAYS)

    def fingerprint(self) -> str:
        """Changes whenever anything that decides where and how sales are sent changes."""
        skip = ("interval_s", "timeout_s", "costs_interval_s", "problems")
        values = {k: v for k, v in asdict(self).items() if k not in skip}
        return hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()

    def missing_to_read(self) -> list[str]:
        """What reading the account (spend, clicks, `ads check`) still lacks: the customer and OAuth.

        No developer token: Google sunset them on 2026-09-09; access levels belong to the Cloud
        project of the OAuth client, and the header is sent only when one is set."""
        needed = {"GOOGLE_ADS_CUSTOMER_ID": self.customer_id}
        if not self.service_account_file:
            needed.update(
                {
                    "GOOGLE_ADS_CLIENT_ID": self.client_id,
                    "GOOGLE_ADS_CLIENT_SECRET": self.client_secret,
                    "GOOGLE_ADS_REFRESH_TOKEN": self.refresh_token,
                }
            )
        return [name for name, value in needed.items() if not value]

    def missing(self) -> list[str]:
        """Names of the variables that still have to be set before anything can be sent."""
        needed = [] if self.conversion_action_id else ["GOOGLE_ADS_CONVERSION_ACTION_ID"]
        return self.missing_to_read() + needed + list(self.problems)

    @property
    def configured(self) -> bool:
        return self.backend in BACKENDS and not self.missing()


def _digits(value: str) -> str:
    """Customer ids are written 123-456-7890 in the Google Ads UI; the APIs want digits only."""
    return value.replace("-", "").strip()


def parse_stage_actions(raw: str) -> tuple[tuple[StageAction, ...], list[str]]:
    """`CONTACTED=111111:250,CONVERTED=222222`: stage=action id[:value in TRY]; bad entries named."""
    found, problems = [], []
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        stage, _, rest = entry.partition("=")
        action_id, _, value = rest.partition(":")
        stage, action_id = stage.strip().upper(), action_id.strip()
        try:
            amount = Decimal(value.strip()) if value.strip() else DEFAULT_STAGE_VALUE
        except InvalidOperation:
            amount = Decimal(0)
        if stage not in STAGES or not action_id.isdigit() or amount <= 0:
            problems.append(
                f"GOOGLE_ADS_STAGE_ACTIONS: {entry!r} must be STAGE=ACTION_ID[:VALUE], "
                f"STAGE one of {', '.join(STAGES)}, VALUE above zero"
            )
            continue
        found.append(StageAction(stage, action_id, amount))
    return tuple(found), problems


def parse_click_windows(raw: str) -> tuple[tuple[tuple[str, int], ...], list[str]]:
    """`987654321=90,111111=30`: an action's click-through window in days (1-90, as Google allows)."""
    found, problems = [], []
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        action_id, _, days = (p.strip() for p in entry.partition("="))
        if not action_id.isdigit() or not days.isdigit() or not 1 <= int(days) <= 90:
            problems.append(f"GOOGLE_ADS_CLICK_WINDOW_DAYS: {entry!r} must be ACTION_ID=DAYS, DAYS 1 to 90")
            continue
        found.append((action_id, int(days)))
    return tuple(found), problems


def ads_config(settings: Settings) -> AdsConfig:
    google = settings.integrations.google_ads
    stage_actions, stage_problems = parse_stage_actions(google.stage_actions)
    click_windows, window_problems = parse_click_windows(google.click_window_days)
    return AdsConfig(
        backend=(google.upload_backend or "datamanager").lower(),
        customer_id=_digits(google.customer_id),
        login_customer_id=_digits(google.login_customer_id),
        conversion_action_id=google.conversion_action_id,
        developer_token=google.developer_token,
        client_id=google.client_id,
        client_secret=google.client_secret,
        refresh_token=google.refresh_token,
        service_account_file=google.service_account_file,
        token_uri=google.token_uri or GOOGLE_TOKEN_URI,
        datamanager_endpoint=google.datamanager_endpoint or DATAMANAGER_ENDPOINT,
        google_ads_endpoint=google.endpoint or GOOGLE_ADS_ENDPOINT,
        ca_file=google.ca_file,
        interval_s=google.upload_interval_s,
        timeout_s=google.timeout_s,
        costs_interval_s=google.costs_interval_s,
        stage_actions=stage_actions,
        click_windows=click_windows,
        problems=tuple(stage_problems + window_problems),
    )


def upload_status(settings: Settings) -> dict[str, object]:
    """What the admin shows next to the conversions list."""
    config = ads_config(settings)
    if config.backend not in BACKENDS:
        return {
            "configured": False,
            "backend": config.backend,
            "message": f"GOOGLE_ADS_UPLOAD_BACKEND must be one of {', '.join(BACKENDS)}",
            "message_tr": f"GOOGLE_ADS_UPLOAD_BACKEND şunlardan biri olmalı: {', '.join(BACKENDS)}",
            "missing": [],
        }
    missing = config.missing()
    if missing:
        return {
            "configured": False,
            "backend": config.backend,
            "message": "Google Ads not configured",
            "message_tr": "Google Ads bağlı değil; satışlar bekliyor",
            "missing": missing,
        }
    return {
        "configured": True,
        "backend": config.backend,
        "message": "Google Ads configured",
        "message_tr": "Google Ads bağlı",
        "missing": [],
    }


def fingerprint_file(settings: Settings) -> Path:
    """Where the uploader remembers the Google settings it last ran with (survives restarts)."""
    return settings.data_dir / "google-config.sha256"


def upload_leader(settings: Settings) -> Leader:
    """One uploader at a time across gunicorn workers and cron runs on this machine."""
    return Leader(settings.locks_dir / UPLOAD_LOCK)
