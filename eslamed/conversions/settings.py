"""Google upload settings read from the integration variables (GOOGLE_ADS_*, DATAMANAGER_*).

Missing values are not an error at start: sales simply stay PENDING and `upload_status()`
tells the admin why, so a shop can take leads before Google Ads is connected.
"""

from __future__ import annotations

from dataclasses import dataclass

from eslamed.config import Settings

BACKENDS = ("datamanager", "googleads")
DATAMANAGER_ENDPOINT = "datamanager.googleapis.com:443"
GOOGLE_ADS_ENDPOINT = "googleads.googleapis.com:443"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret


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

    def missing(self) -> list[str]:
        """Names of the variables that still have to be set before anything can be sent."""
        needed = {
            "GOOGLE_ADS_CUSTOMER_ID": self.customer_id,
            "GOOGLE_ADS_CONVERSION_ACTION_ID": self.conversion_action_id,
        }
        if not self.service_account_file:
            needed.update(
                {
                    "GOOGLE_ADS_CLIENT_ID": self.client_id,
                    "GOOGLE_ADS_CLIENT_SECRET": self.client_secret,
                    "GOOGLE_ADS_REFRESH_TOKEN": self.refresh_token,
                }
            )
        if self.backend == "googleads":
            needed["GOOGLE_ADS_DEVELOPER_TOKEN"] = self.developer_token
        return [name for name, value in needed.items() if not value]

    @property
    def configured(self) -> bool:
        return self.backend in BACKENDS and not self.missing()


def _digits(value: str) -> str:
    """Customer ids are written 123-456-7890 in the Google Ads UI; the APIs want digits only."""
    return value.replace("-", "").strip()


def _float(settings: Settings, name: str, default: float) -> float:
    try:
        value = float(settings.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def ads_config(settings: Settings) -> AdsConfig:
    return AdsConfig(
        backend=(settings.get("GOOGLE_ADS_UPLOAD_BACKEND") or "datamanager").strip().lower(),
        customer_id=_digits(settings.get("GOOGLE_ADS_CUSTOMER_ID")),
        login_customer_id=_digits(settings.get("GOOGLE_ADS_LOGIN_CUSTOMER_ID")),
        conversion_action_id=settings.get("GOOGLE_ADS_CONVERSION_ACTION_ID").strip(),
        developer_token=settings.get("GOOGLE_ADS_DEVELOPER_TOKEN").strip(),
        client_id=settings.get("GOOGLE_ADS_CLIENT_ID").strip(),
        client_secret=settings.get("GOOGLE_ADS_CLIENT_SECRET").strip(),
        refresh_token=settings.get("GOOGLE_ADS_REFRESH_TOKEN").strip(),
        service_account_file=settings.get("GOOGLE_ADS_SERVICE_ACCOUNT_FILE").strip(),
        token_uri=settings.get("GOOGLE_ADS_TOKEN_URI") or GOOGLE_TOKEN_URI,
        datamanager_endpoint=settings.get("DATAMANAGER_ENDPOINT") or DATAMANAGER_ENDPOINT,
        google_ads_endpoint=settings.get("GOOGLE_ADS_ENDPOINT") or GOOGLE_ADS_ENDPOINT,
        ca_file=settings.get("GOOGLE_ADS_CA_FILE").strip(),
        interval_s=_float(settings, "GOOGLE_ADS_UPLOAD_INTERVAL_S", 60.0),
        timeout_s=_float(settings, "GOOGLE_ADS_TIMEOUT_S", 30.0),
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
