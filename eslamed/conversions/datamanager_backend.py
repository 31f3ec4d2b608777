"""Data Manager API (`IngestionService.IngestEvents`): Google's primary path for offline sales.

The request has no partial failure, so when Google rejects a batch for what may be one bad
event, the batch is split in halves until the bad event stands alone; the others go through.
Google processes accepted requests later: `request_status` reads the final outcome.
"""

from __future__ import annotations

import uuid

import grpc
from google.ads import datamanager_v1 as dm
from google.ads.datamanager_v1.services.ingestion_service.transports import IngestionServiceGrpcTransport
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.google_channel import DATAMANAGER_SCOPE, secure_channel, status_code
from eslamed.conversions.model import FAILED, RETRY, UPLOADED, Outcome, Sale
from eslamed.conversions.outcomes import request_wide
from eslamed.conversions.reasons import (
    ACCOUNT_PROBLEMS,
    ALREADY_UPLOADED,
    TOO_RECENT,
    TOO_RECENT_RETRY_S,
    google_reason,
    text,
)
from eslamed.conversions.settings import AdsConfig

_SOURCES = {"call": dm.EventSource.PHONE, "whatsapp": dm.EventSource.MESSAGE}
CONFIRMED = text("Google satışı işledi", "Google processed the sale")
Status = dm.RequestStatusPerDestination.RequestStatus


class DataManagerBackend:
    name = "datamanager"

    def __init__(self, config: AdsConfig, channel: grpc.Channel | None = None) -> None:
        self.config = config
        channel = channel or secure_channel(config, config.datamanager_endpoint, DATAMANAGER_SCOPE)
        self.client = dm.IngestionServiceClient(transport=IngestionServiceGrpcTransport(channel=channel))

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
        event = dm.Event(
            transaction_id=sale.transaction_id,
            event_timestamp=sale.closed_at_utc,
            consent=dm.Consent(ad_user_data=dm.ConsentStatus.CONSENT_GRANTED),
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
        outcomes: dict[uuid.UUID, Outcome] = {}
        if sales:
            self._send(sales, validate_only, outcomes)
        return outcomes

    def _send(self, sales: list[Sale], validate_only: bool, outcomes: dict[uuid.UUID, Outcome]) -> None:
        request = dm.IngestEventsRequest(
            destinations=[self.destination()],
            events=[self.event(sale) for sale in sales],
            encoding=dm.Encoding.HEX,
            validate_only=validate_only,
        )
        try:
            response = self.client.ingest_events(request=request, retry=None, timeout=self.config.timeout_s)
        except api_exceptions.GoogleAPICallError as exc:
            shared = self._shared_outcome(exc, len(sales))
            if shared is not None:
                outcomes.update({sale.conversion_id: shared for sale in sales})
                return
            half = len(sales) // 2
            self._send(sales[:half], validate_only, outcomes)
            self._send(sales[half:], validate_only, outcomes)
            return
        outcomes.update(
            {sale.conversion_id: Outcome(UPLOADED, request_id=response.request_id) for sale in sales}
        )

    @staticmethod
    def _shared_outcome(exc: api_exceptions.GoogleAPICallError, size: int) -> Outcome | None:
        """One outcome for the whole batch, or None when the batch must be split to find the bad event."""
        code = status_code(exc)
        outcome = request_wide(code)
        if outcome is not None:
            return outcome
        violations = [v for d in exc.details if hasattr(d, "field_violations") for v in d.field_violations]
        reason = exc.reason or next((v.reason for v in violations if getattr(v, "reason", "")), "") or code
        about_events = any(v.field.startswith("events") for v in violations)
        if reason in ACCOUNT_PROBLEMS or (violations and not about_events):
            return Outcome(RETRY, google_reason(reason, exc.message), retry_after_s=TOO_RECENT_RETRY_S)
        if size > 1:
            return None
        if reason in ALREADY_UPLOADED:
            return Outcome(UPLOADED, google_reason(reason))
        if reason in TOO_RECENT:
            return Outcome(RETRY, google_reason(reason), retry_after_s=TOO_RECENT_RETRY_S)
        detail = "; ".join(v.description for v in violations if v.description) or exc.message
        return Outcome(FAILED, google_reason(reason, detail))

    def request_status(self, request_id: str) -> Outcome | None:
        """Google's final word on an accepted request; None while it is still processing."""
        response = self.client.retrieve_request_status(
            request=dm.RetrieveRequestStatusRequest(request_id=request_id),
            retry=None,
            timeout=self.config.timeout_s,
        )
        for status in response.request_status_per_destination:
            counts = status.error_info.error_counts
            reasons = ", ".join(google_reason(c.reason.name) for c in counts)
            if status.request_status == Status.SUCCESS:
                return Outcome(UPLOADED, CONFIRMED, request_id=request_id)
            if status.request_status == Status.FAILED:
                first = counts[0].reason.name if counts else "INVALID_EVENT"
                state = UPLOADED if first in ALREADY_UPLOADED else FAILED
                return Outcome(state, google_reason(first), request_id=request_id)
            if status.request_status == Status.PARTIAL_SUCCESS:
                partial = text("Google isteğin bir kısmını reddetti", "Google rejected part of the request")
                return Outcome(UPLOADED, f"{partial}: {reasons}", request_id=request_id)
        return None
