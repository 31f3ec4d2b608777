"""Data Manager API (`IngestionService.IngestEvents`): Google's primary path for offline sales.

The request has no partial failure: Google rejects a whole request and, for a bad event, names
it in a field violation (`events[3].ad_identifiers.gclid`); those events get their verdict and
the rest is sent again once. Only when violations concern events but carry no index is the batch
halved, within a call budget. Anything else is a request problem (RETRY + alert), never a sale's.
Google processes accepted requests later: `request_status` reads the final outcome, which holds
only counts per reason, so a rejection it cannot pin on one sale sends each sale again alone.
"""

from __future__ import annotations

import logging
import re
import uuid

import grpc
from google.ads import datamanager_v1 as dm
from google.ads.datamanager_v1.services.ingestion_service.transports import IngestionServiceGrpcTransport
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.google_channel import (
    DATAMANAGER_SCOPE,
    credentials,
    secure_channel,
    status_code,
    token_problem,
)
from eslamed.conversions.model import FAILED, RETRY, UPLOADED, Outcome, Sale
from eslamed.conversions.outcomes import ACCESS, TRANSIENT, alert, request_failed
from eslamed.conversions.quota import SPLIT_CALLS_PER_UPLOAD, CallBudget
from eslamed.conversions.reasons import (
    ACCOUNT_PROBLEMS,
    ALREADY_UPLOADED,
    QUOTA_THIS_RUN,
    REQUEST_NOT_FOUND,
    TOO_RECENT,
    TOO_RECENT_RETRY_S,
    UNATTRIBUTED,
    google_reason,
    request_problem,
    text,
)
from eslamed.conversions.settings import AdsConfig

log = logging.getLogger(__name__)

_SOURCES = {"call": dm.EventSource.PHONE, "whatsapp": dm.EventSource.MESSAGE}
_EVENT_INDEX = re.compile(r"^events\[(\d+)\]")
CONFIRMED = text("Google satışı işledi", "Google processed the sale")
Status = dm.RequestStatusPerDestination.RequestStatus
ROW_TRANSIENT = frozenset({"PROCESSING_ERROR_REASON_INTERNAL_ERROR"})
"""A processing failure Google itself may not repeat: the sale is sent again."""


def row_verdict(reason: str, detail: str = "") -> Outcome:
    """What Google's reason about one event means for that sale."""
    if reason in ALREADY_UPLOADED:
        return Outcome(UPLOADED, google_reason(reason))
    if reason in TOO_RECENT:
        return Outcome(RETRY, google_reason(reason), retry_after_s=TOO_RECENT_RETRY_S)
    if reason in ROW_TRANSIENT:
        return Outcome(RETRY, google_reason(reason))
    return Outcome(FAILED, google_reason(reason, detail))


def destination_outcome(status: dm.RequestStatusPerDestination, request_id: str) -> Outcome | None:
    """The outcome every sale of the request shares, from one destination's counts (pure).

    Google gives counts per reason, never which event: a reason lands on a sale only when it
    covers the whole request (FAILED with one reason) or the request held one event.
    """
    if status.request_status not in (Status.SUCCESS, Status.FAILED, Status.PARTIAL_SUCCESS):
        return None
    counts = [(c.reason.name, c.record_count) for c in status.error_info.error_counts]
    rejected = sorted({name for name, _ in counts if name not in ALREADY_UPLOADED})
    listed = ", ".join(f"{n} x{c}" for n, c in counts)
    if not rejected:
        if status.request_status == Status.FAILED and counts:
            return Outcome(UPLOADED, google_reason(counts[0][0]), request_id=request_id)
        return Outcome(UPLOADED, CONFIRMED, request_id=request_id)
    account = [name for name in rejected if name in ACCOUNT_PROBLEMS]
    if account:
        return Outcome(
            RETRY, request_problem(account[0]), retry_after_s=TOO_RECENT_RETRY_S, request_id=request_id
        )
    whole = status.request_status == Status.FAILED and len(counts) == 1
    if whole or status.events_ingestion_status.record_count == 1:
        return row_verdict(rejected[0]) if whole or len(rejected) == 1 else _unattributed(listed, request_id)
    if all(name in TOO_RECENT for name in rejected):
        return Outcome(
            RETRY, google_reason(rejected[0]), retry_after_s=TOO_RECENT_RETRY_S, request_id=request_id
        )
    return _unattributed(listed, request_id)


def _unattributed(listed: str, request_id: str) -> Outcome:
    return Outcome(RETRY, google_reason(UNATTRIBUTED, listed), request_id=request_id)


class DataManagerBackend:
    name = "datamanager"

    def __init__(
        self, config: AdsConfig, channel: grpc.Channel | None = None, budget: CallBudget | None = None
    ) -> None:
        self.config = config
        self.credentials = None if channel else credentials(config, DATAMANAGER_SCOPE)
        channel = channel or secure_channel(config, config.datamanager_endpoint, self.credentials)
        self.client = dm.IngestionServiceClient(transport=IngestionServiceGrpcTransport(channel=channel))
        self.budget = budget or CallBudget()

    def destination(self) -> dm.Destination:
        account = dm.ProductAccount.AccountType.GOOGLE_ADS
        destination = dm.Destination(
            operating_account=dm.ProductAccount(account_type=account, account_id=self.config.customer_id),
            product_destination_id=self.config.conversion_action_id,
        )
        if self.config.login_customer_id:
            destination.login_account = dm.ProductAccount(
                account_type=account, account_id=self.config.login_customer_id
            )
        return destination

    def event(self, sale: Sale) -> dm.Event:
        consent = dm.ConsentStatus.CONSENT_GRANTED if sale.consent else dm.ConsentStatus.CONSENT_DENIED
        event = dm.Event(
            transaction_id=sale.transaction_id,
            event_timestamp=sale.closed_at_utc,
            consent=dm.Consent(ad_user_data=consent, ad_personalization=consent),
            currency=sale.currency,
            conversion_value=float(sale.revenue),
            event_source=_SOURCES.get(sale.lead_source, dm.EventSource.WEB),
        )
        kind, click = sale.click_id
        if click:
            event.ad_identifiers = dm.AdIdentifiers(**{kind: click})
        if sale.phone_sha256:
            event.user_data = dm.UserData(
                user_identifiers=[dm.UserIdentifier(phone_number=sale.phone_sha256)]
            )
        return event

    def upload(self, sales: list[Sale], validate_only: bool = False) -> dict[uuid.UUID, Outcome]:
        """Sales Google could not be pinned down on go one per request, the rest in one batch."""
        if not sales:
            return {}
        problem = token_problem(self.credentials)
        if problem:
            return request_failed(self.name, self.config.customer_id, sales, problem, "OAuth token refresh")
        outcomes: dict[uuid.UUID, Outcome] = {}
        groups = [[sale] for sale in sales if sale.send_alone]
        batch = [sale for sale in sales if not sale.send_alone]
        splits = [SPLIT_CALLS_PER_UPLOAD]
        for group in groups + ([batch] if batch else []):
            self._send(group, validate_only, outcomes, splits)
        return outcomes

    def _send(
        self, sales: list[Sale], validate_only: bool, outcomes: dict[uuid.UUID, Outcome], splits: list[int]
    ) -> None:
        if not self.budget.take():
            later = Outcome(RETRY, google_reason(QUOTA_THIS_RUN), retry_after_s=60, keep_trying=True)
            outcomes.update(dict.fromkeys((s.conversion_id for s in sales), later))
            return
        request = dm.IngestEventsRequest(
            destinations=[self.destination()],
            events=[self.event(sale) for sale in sales],
            encoding=dm.Encoding.HEX,
            validate_only=validate_only,
        )
        try:
            response = self.client.ingest_events(request=request, retry=None, timeout=self.config.timeout_s)
        except api_exceptions.GoogleAPICallError as exc:
            self._rejected(sales, exc, validate_only, outcomes, splits)
            return
        outcomes.update(
            {sale.conversion_id: Outcome(UPLOADED, request_id=response.request_id) for sale in sales}
        )

    def _rejected(
        self,
        sales: list[Sale],
        exc: api_exceptions.GoogleAPICallError,
        validate_only: bool,
        outcomes: dict[uuid.UUID, Outcome],
        splits: list[int],
    ) -> None:
        """Verdicts for the events Google named; a request problem when it named none."""
        code = status_code(exc)
        violations = [v for d in exc.details if hasattr(d, "field_violations") for v in d.field_violations]
        about_events = [v for v in violations if v.field.startswith("events")]
        reason = exc.reason or next((v.reason for v in violations if getattr(v, "reason", "")), "") or code
        if code in TRANSIENT or code in ACCESS or not about_events or reason in ACCOUNT_PROBLEMS:
            wait = TOO_RECENT_RETRY_S if reason in ACCOUNT_PROBLEMS else None
            outcomes.update(
                request_failed(self.name, self.config.customer_id, sales, reason, exc.message, wait)
            )
            return
        named: dict[int, list] = {}
        for violation in about_events:
            found = _EVENT_INDEX.match(violation.field)
            if found and int(found.group(1)) < len(sales):
                named.setdefault(int(found.group(1)), []).append(violation)
        if named:
            for i, found in named.items():
                detail = "; ".join(v.description for v in found if v.description) or exc.message
                outcomes[sales[i].conversion_id] = row_verdict(
                    getattr(found[0], "reason", "") or reason, detail
                )
            rest = [sale for i, sale in enumerate(sales) if i not in named]
            if rest:
                self._send(rest, validate_only, outcomes, splits)
        elif len(sales) == 1:
            detail = "; ".join(v.description for v in about_events if v.description) or exc.message
            outcomes[sales[0].conversion_id] = row_verdict(reason, detail)
        elif splits[0] >= 2:
            splits[0] -= 2
            half = len(sales) // 2
            self._send(sales[:half], validate_only, outcomes, splits)
            self._send(sales[half:], validate_only, outcomes, splits)
        else:
            alone = Outcome(RETRY, google_reason(UNATTRIBUTED, exc.message))
            outcomes.update(dict.fromkeys((s.conversion_id for s in sales), alone))

    def request_status(self, request_id: str) -> Outcome | None:
        """Google's final word on an accepted request; None while it is still processing (or not asked)."""
        if token_problem(self.credentials) or not self.budget.take():
            return None
        try:
            response = self.client.retrieve_request_status(
                request=dm.RetrieveRequestStatusRequest(request_id=request_id),
                retry=None,
                timeout=self.config.timeout_s,
            )
        except api_exceptions.GoogleAPICallError as exc:
            if status_code(exc) != "NOT_FOUND":
                raise
            log.warning("Google no longer knows request %s; its sales are sent again", request_id)
            return Outcome(RETRY, google_reason(REQUEST_NOT_FOUND), keep_trying=True)
        verdicts = [destination_outcome(s, request_id) for s in response.request_status_per_destination]
        if not verdicts or None in verdicts:
            return None
        for status in response.request_status_per_destination:
            for count in status.error_info.error_counts:
                if count.reason.name in ACCOUNT_PROBLEMS:
                    alert(self.name, self.config.customer_id, count.reason.name, f"request {request_id}")
        return next((v for v in verdicts if v.state != UPLOADED), verdicts[0])
