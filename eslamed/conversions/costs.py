"""Ad spend in: `eslamed ads costs` and the server's cost job read Google Ads API v26
`GoogleAdsService.SearchStream` and store what each campaign cost per day.

Google keeps correcting cost for a few days (invalid clicks are credited back), so every import
re-reads a trailing range and writes a newer version of each (campaign, day) in it; a day Google no
longer reports is written again with zero. Stats read the newest version, so importing twice never
counts twice. The same round maps leads' gclids to their campaigns through `click_view`, one query
per day that has unmapped clicks (Google keeps click_view for 90 days, one day per query).

No developer token: since 2026-09-09 access belongs to the Google Cloud project of the OAuth client.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.services.services.google_ads_service import GoogleAdsServiceClient
from google.ads.googleads.v26.services.services.google_ads_service.transports import (
    GoogleAdsServiceGrpcTransport,
)
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.google_channel import status_code, token_problem
from eslamed.conversions.googleads_backend import error_code_name, service_client
from eslamed.conversions.outcomes import TRANSIENT
from eslamed.conversions.reasons import google_reason
from eslamed.conversions.settings import AdsConfig
from eslamed.core import metrics
from eslamed.core.clock import ISTANBUL, new_version
from eslamed.core.sql import ads as sql
from eslamed.core.store import Store

log = logging.getLogger(__name__)

ACCOUNT_QUERY = "SELECT customer.currency_code, customer.time_zone FROM customer"
COSTS_QUERY = (
    "SELECT campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.clicks,"
    " metrics.impressions FROM campaign WHERE segments.date BETWEEN '{first}' AND '{last}'"
)
CLICKS_QUERY = "SELECT click_view.gclid, campaign.id FROM click_view WHERE segments.date = '{day}'"
CLICK_VIEW_DAYS = 90
DEFAULT_DAYS = 7
MAX_DAYS = 365


class AdsRefused(Exception):
    """Google (or its token endpoint) refused a read: `code` is Google's name for why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def reason(self) -> str:
        return google_reason(self.code, self.detail)


class AdsReader:
    """GAQL reads through the real google-ads client (OAuth only; a developer token only when set)."""

    def __init__(self, config: AdsConfig, channel: grpc.Channel | None = None) -> None:
        self.config = config
        self.service, self.credentials = service_client(
            config, channel, GoogleAdsServiceClient, GoogleAdsServiceGrpcTransport
        )

    def rows(self, query: str) -> list[Any]:
        problem = token_problem(self.credentials)
        if problem:
            raise AdsRefused(problem, "OAuth token refresh")
        try:
            stream = self.service.search_stream(
                customer_id=self.config.customer_id, query=query, retry=None, timeout=self.config.timeout_s
            )
            return [row for batch in stream for row in batch.results]
        except GoogleAdsException as exc:
            first = exc.failure.errors[0] if exc.failure.errors else None
            code = error_code_name(first) if first else status_code(exc) or "UNKNOWN"
            raise AdsRefused(code, first.message if first else "") from exc
        except (api_exceptions.GoogleAPICallError, grpc.RpcError) as exc:
            raise AdsRefused(status_code(exc) or "UNKNOWN", str(getattr(exc, "message", exc))) from exc


@dataclass
class ImportReport:
    customer_id: str
    first: date | None = None
    last: date | None = None
    currency: str = ""
    rows: int = 0
    zeroed: int = 0
    clicks_asked: int = 0
    clicks_mapped: int = 0
    click_days: list[str] = field(default_factory=list)
    code: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.code


def account_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ISTANBUL
    except (ZoneInfoNotFoundError, ValueError):
        return ISTANBUL


def cost_rows(
    found: list[Any],
    known: list[dict[str, Any]],
    customer_id: str,
    currency: str,
    version: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    """The rows an import writes: what Google reports, plus a zero for each (campaign, day) with
    stored spend that Google no longer reports; and how many of those zeros there are."""
    rows: dict[tuple[int, date], dict[str, Any]] = {}
    for row in found:
        day = date.fromisoformat(row.segments.date)
        rows[(row.campaign.id, day)] = {
            "campaign_id": row.campaign.id,
            "day": day,
            "campaign_name": row.campaign.name,
            "cost_micros": row.metrics.cost_micros,
            "clicks": row.metrics.clicks,
            "impressions": row.metrics.impressions,
        }
    zeroed = 0
    for old in known:
        key = (int(old["campaign_id"]), date.fromisoformat(old["day"]))
        if key not in rows:
            zeroed += 1
            rows[key] = {
                "campaign_id": key[0],
                "day": key[1],
                "campaign_name": old["campaign_name"],
                "cost_micros": 0,
                "clicks": 0,
                "impressions": 0,
            }
    common = {"customer_id": customer_id, "version": version, "currency": currency, "imported_at": now}
    return [{**common, **row} for _, row in sorted(rows.items())], zeroed


def import_costs(store: Store, reader: AdsReader, days: int, now: datetime, report: ImportReport) -> None:
    """Read and store the account's spend of the last `days` days (its own calendar), then map clicks."""
    customer_id = report.customer_id
    [account] = reader.rows(ACCOUNT_QUERY) or [None]
    zone = account_zone(account.customer.time_zone if account else "")
    report.currency = account.customer.currency_code if account else ""
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    report.first, report.last = today - timedelta(days=days - 1), today
    found = reader.rows(COSTS_QUERY.format(first=report.first, last=report.last))
    bounds = {"customer": customer_id, "first": report.first, "last": report.last}
    known = store.query_dicts(sql.COSTS_KNOWN.format(db=store.database), bounds)
    rows, report.zeroed = cost_rows(found, known, customer_id, report.currency, new_version(), now)
    if rows:
        store.insert_rows("ad_costs", rows)
    report.rows = len(rows) - report.zeroed
    map_clicks(store, reader, zone, today, now, report)


def map_clicks(
    store: Store, reader: AdsReader, zone: ZoneInfo, today: date, now: datetime, report: ImportReport
) -> None:
    """The campaign of each lead's gclid not mapped yet, by click_view, one query per click day."""
    since = now - timedelta(days=CLICK_VIEW_DAYS)
    unmapped = store.query_dicts(
        sql.UNMAPPED_CLICKS.format(db=store.database), {"since": since, "tz": zone.key}
    )
    by_day: dict[str, set[str]] = defaultdict(set)
    for row in unmapped:
        if date.fromisoformat(row["day"]) > today - timedelta(days=CLICK_VIEW_DAYS):
            by_day[row["day"]].add(row["gclid"])
    version = new_version()
    for day, gclids in sorted(by_day.items()):
        report.click_days.append(day)
        report.clicks_asked += len(gclids)
        found = {
            row.click_view.gclid: row.campaign.id
            for row in reader.rows(CLICKS_QUERY.format(day=day))
            if row.click_view.gclid in gclids
        }
        if found:
            store.insert_rows(
                "ad_clicks",
                [
                    {
                        "gclid": gclid,
                        "version": version,
                        "customer_id": report.customer_id,
                        "campaign_id": campaign_id,
                        "day": date.fromisoformat(day),
                    }
                    for gclid, campaign_id in sorted(found.items())
                ],
            )
        report.clicks_mapped += len(found)


def run_import(
    store: Store, config: AdsConfig, days: int, now: datetime, channel: grpc.Channel | None = None
) -> ImportReport:
    """One import with its outcome recorded for the owner (ad_imports), counted and logged.

    A refusal is not raised: it is the report's code and reason, like an upload's request error."""
    report = ImportReport(customer_id=config.customer_id)
    try:
        import_costs(store, AdsReader(config, channel), days, now, report)
    except AdsRefused as refused:
        report.code, report.reason = refused.code, refused.reason
    metrics.AD_IMPORTS.labels(report.code or "ok").inc()
    if report.ok:
        log.info(
            "ad costs imported for %s, %s..%s: %d campaign-days, %d zeroed, %d of %d clicks mapped",
            config.customer_id, report.first, report.last, report.rows, report.zeroed,
            report.clicks_mapped, report.clicks_asked,
        )  # fmt: skip
    elif report.code in TRANSIENT:
        log.warning("ad cost import for %s failed (%s); will retry", config.customer_id, report.reason)
    else:
        log.error(
            "Google Ads refused the ad cost import for account %s (%s); spend is not updated until the "
            "account or the credentials are fixed",
            config.customer_id,
            report.reason,
        )
    store.insert_rows(
        "ad_imports",
        [
            {
                "at": now,
                "version": new_version(),
                "customer_id": config.customer_id,
                "first_day": report.first or now.date(),
                "last_day": report.last or now.date(),
                "ok": int(report.ok),
                "code": report.code,
                "reason": report.reason,
                "rows": report.rows,
                "clicks": report.clicks_mapped,
            }
        ],
    )
    return report
