"""`eslamed ads check`: does the configured Google Ads account exist and accept our uploads?

Reads the customer and the conversion action through the Google Ads API (GoogleAdsService)
and names each problem in plain words, before the first sale is ever sent. A Data Manager
set-up without a developer token cannot read the account; it sends Data Manager a validate-only
request instead, which checks the credentials, the account and the conversion action.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.services.services.google_ads_service import GoogleAdsServiceClient
from google.ads.googleads.v26.services.services.google_ads_service.transports import (
    GoogleAdsServiceGrpcTransport,
)
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.datamanager_backend import DataManagerBackend
from eslamed.conversions.googleads_backend import ads_channel, error_code_name
from eslamed.conversions.model import RETRY, Sale
from eslamed.conversions.reasons import google_reason
from eslamed.conversions.settings import AdsConfig
from eslamed.core.clock import utc_now

CUSTOMER_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.status, customer.currency_code, "
    "customer.time_zone, customer.conversion_tracking_setting.accepted_customer_data_terms FROM customer"
)
ACTION_QUERY = (
    "SELECT conversion_action.id, conversion_action.name, conversion_action.status, "
    "conversion_action.type FROM conversion_action WHERE conversion_action.id = {action_id}"
)


def check_account(config: AdsConfig, channel=None) -> tuple[list[str], list[str]]:
    """(problems, facts): problems are sentences telling the owner what to fix."""
    missing = [n for n in config.missing() if n != "GOOGLE_ADS_DEVELOPER_TOKEN"]
    if not config.developer_token and config.backend != "datamanager":
        missing.append("GOOGLE_ADS_DEVELOPER_TOKEN (needed to read the account)")
    if missing:
        return [f"Google Ads not configured: set {', '.join(missing)}"], []
    if not config.conversion_action_id.isdigit() or not config.customer_id.isdigit():
        return ["GOOGLE_ADS_CUSTOMER_ID and GOOGLE_ADS_CONVERSION_ACTION_ID must be numbers"], []
    if not config.developer_token:
        return check_datamanager(config, channel)
    transport = GoogleAdsServiceGrpcTransport(channel=ads_channel(config, channel))
    service = GoogleAdsServiceClient(transport=transport)
    try:
        customers = list(service.search(customer_id=config.customer_id, query=CUSTOMER_QUERY, retry=None))
        actions = list(
            service.search(
                customer_id=config.customer_id,
                query=ACTION_QUERY.format(action_id=int(config.conversion_action_id)),
                retry=None,
            )
        )
    except GoogleAdsException as exc:
        codes = [error_code_name(e) for e in exc.failure.errors] or ["UNKNOWN"]
        return [f"Google Ads refused the check: {google_reason(codes[0])}"], []
    except api_exceptions.GoogleAPICallError as exc:
        return [f"Google Ads could not be reached at {config.google_ads_endpoint}: {exc.message}"], []
    return _judge(config, customers, actions)


def check_datamanager(config: AdsConfig, channel=None) -> tuple[list[str], list[str]]:
    """A validate-only IngestEvents with one made-up sale: Google checks everything but the click."""
    now = utc_now()
    probe = Sale(
        conversion_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        closed_at=now,
        revenue=Decimal("1"),
        currency="TRY",
        gclid="EAIaIQobChMIeslamedAdsCheck",
        gbraid="",
        wbraid="",
        phone_sha256="",
        consent=True,
        lead_source="form",
        clicked_at=now,
    )
    [outcome] = DataManagerBackend(config, channel).upload([probe], validate_only=True).values()
    where = f"customer {config.customer_id}, conversion action {config.conversion_action_id}"
    if outcome.state == RETRY:
        return [f"Data Manager refused the check for {where}: {outcome.reason}"], []
    facts = [f"Data Manager accepted a validate-only request for {where} (nothing stored)"]
    if outcome.reason:
        facts.append(f"the made-up test sale itself: {outcome.reason}")
    facts.append("set GOOGLE_ADS_DEVELOPER_TOKEN to also read the account's settings (Google Ads API)")
    return [], facts


def _judge(config: AdsConfig, customers: list, actions: list) -> tuple[list[str], list[str]]:
    problems, facts = [], []
    if not customers:
        return [f"customer {config.customer_id} was not found or this login cannot see it"], []
    customer = customers[0].customer
    facts.append(f"customer {customer.id} '{customer.descriptive_name}' ({customer.currency_code})")
    if customer.status.name != "ENABLED":
        problems.append(f"the Google Ads account is {customer.status.name}, not ENABLED")
    if customer.currency_code != "TRY":
        facts.append(f"account currency is {customer.currency_code}; Google converts TRY values")
    if not customer.conversion_tracking_setting.accepted_customer_data_terms:
        problems.append(
            "customer data terms are not accepted in Google Ads (Goals > Settings); "
            "phone-matched sales (enhanced conversions for leads) will be rejected"
        )
    if not actions:
        problems.append(
            f"conversion action {config.conversion_action_id} does not exist in customer {config.customer_id}"
        )
        return problems, facts
    action = actions[0].conversion_action
    facts.append(f"conversion action {action.id} '{action.name}'")
    if action.status.name != "ENABLED":
        problems.append(f"conversion action '{action.name}' is {action.status.name}; enable it")
    if action.type_.name != "UPLOAD_CLICKS":
        problems.append(
            f"conversion action '{action.name}' is of type {action.type_.name}; "
            "offline sales need an 'Import > clicks' (UPLOAD_CLICKS) action"
        )
    return problems, facts
