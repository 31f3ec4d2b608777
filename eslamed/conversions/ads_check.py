"""`eslamed ads check`: does the configured Google Ads account exist and accept our uploads?

Reads the customer and the conversion action through the Google Ads API (GoogleAdsService)
and names each problem in plain words, before the first sale is ever sent. A Data Manager set-up
also sends Data Manager a validate-only request, which checks the conversion action as Data
Manager sees it. No developer token: access levels belong to the Cloud project since 2026-09-09.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from eslamed.conversions.costs import AdsReader, AdsRefused
from eslamed.conversions.datamanager_backend import DataManagerBackend
from eslamed.conversions.model import RETRY, Sale
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


ACCESS_LEVELS = (
    "API access belongs to the Google Cloud project of the OAuth client (developer tokens were sunset on "
    "2026-09-09): Test reaches test accounts only; Explorer 2,880 operations a day on real accounts "
    "(usually granted at once); Basic 15,000 a day; Standard unlimited. Apply on the project's "
    "'Google Ads API' overview page in the Cloud console"
)


def check_account(config: AdsConfig, channel=None) -> tuple[list[str], list[str]]:
    """(problems, facts): problems are sentences telling the owner what to fix.

    Reads the account through the Google Ads API with OAuth alone (a developer token is sent only
    when one is set); a Data Manager set-up also sends Data Manager a validate-only request."""
    missing = config.missing_to_read()
    if missing:
        return [f"Google Ads not configured: set {', '.join(missing)}"], []
    action_id = config.conversion_action_id
    if not config.customer_id.isdigit() or (action_id and not action_id.isdigit()):
        return ["GOOGLE_ADS_CUSTOMER_ID and GOOGLE_ADS_CONVERSION_ACTION_ID must be numbers"], []
    reader = AdsReader(config, channel)
    try:
        customers = reader.rows(CUSTOMER_QUERY)
        actions = reader.rows(ACTION_QUERY.format(action_id=int(action_id))) if action_id else []
    except AdsRefused as refused:
        problem = f"Google Ads refused to read customer {config.customer_id}: {refused.reason}"
        if refused.code in ("CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION", "DEVELOPER_TOKEN_NOT_APPROVED"):
            problem += f". {ACCESS_LEVELS}"
        return [problem], []
    problems, facts = _judge(config, customers, actions)
    facts.append(ACCESS_LEVELS)
    if config.backend == "datamanager" and action_id:
        dm_problems, dm_facts = check_datamanager(config, channel)
        problems += dm_problems
        facts += dm_facts
    return problems, facts


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
    if not config.conversion_action_id:
        facts.append("no GOOGLE_ADS_CONVERSION_ACTION_ID: spend is read, sales are not uploaded")
        return problems, facts
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
