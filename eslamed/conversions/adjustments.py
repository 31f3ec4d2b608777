"""Corrections of an uploaded sale: Google Ads API `ConversionAdjustmentUploadService`.

A RETRACTION withdraws the sale, a RESTATEMENT replaces its value; both are keyed by the order id
the sale was uploaded with (our conversion id), so no click id or sale time has to match.

Data Manager (its 2026 conversion adjustments guide) restates by sending the sale again with the
same transactionId to the same destination: the value and currency are overwritten and no second
conversion is made. It documents no retraction, so a retraction there ends in MANUAL and the owner
cancels the sale in the Google Ads UI.
"""

from __future__ import annotations

import uuid

import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.enums.types import conversion_adjustment_type
from google.ads.googleads.v26.services.services.conversion_adjustment_upload_service import (
    ConversionAdjustmentUploadServiceClient,
)
from google.ads.googleads.v26.services.services.conversion_adjustment_upload_service.transports import (
    ConversionAdjustmentUploadServiceGrpcTransport,
)
from google.ads.googleads.v26.services.types import conversion_adjustment_upload_service as caus
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.google_channel import status_code
from eslamed.conversions.googleads_backend import ads_channel, decode_failure, row_outcome
from eslamed.conversions.model import MANUAL, RESTATEMENT, UPLOADED, Outcome, Sale, google_ads_time
from eslamed.conversions.outcomes import request_wide
from eslamed.conversions.reasons import text
from eslamed.conversions.settings import AdsConfig

AdjustmentType = conversion_adjustment_type.ConversionAdjustmentTypeEnum.ConversionAdjustmentType
NOT_VIA_DATAMANAGER = Outcome(
    MANUAL,
    text(
        "Data Manager API satış iptalini desteklemiyor; satışı Google Ads arayüzünde iptal edin",
        "The Data Manager API cannot retract a sale: cancel it in the Google Ads UI",
    ),
)


def adjustment_index(error) -> int | None:
    for element in error.location.field_path_elements:
        if element.field_name == "conversion_adjustments" and "index" in element:
            return element.index
    return None


class GoogleAdsAdjuster:
    """Sends RETRACTION / RESTATEMENT adjustments with partial failure, like the sale upload."""

    def __init__(self, config: AdsConfig, channel: grpc.Channel | None = None) -> None:
        self.config = config
        transport = ConversionAdjustmentUploadServiceGrpcTransport(channel=ads_channel(config, channel))
        self.client = ConversionAdjustmentUploadServiceClient(transport=transport)

    def adjustment(self, correction: Sale, adjusted_at: str) -> caus.ConversionAdjustment:
        action = correction.conversion_action_id or self.config.conversion_action_id
        adjustment = caus.ConversionAdjustment(
            order_id=correction.transaction_id,
            conversion_action=f"customers/{self.config.customer_id}/conversionActions/{action}",
            adjustment_date_time=adjusted_at,
            adjustment_type=AdjustmentType[correction.adjustment],
        )
        if correction.adjustment == RESTATEMENT:
            adjustment.restatement_value = caus.RestatementValue(
                adjusted_value=float(correction.revenue), currency_code=correction.currency
            )
        return adjustment

    def upload(self, corrections: list[Sale], validate_only: bool = False) -> dict[uuid.UUID, Outcome]:
        if not corrections:
            return {}
        request = caus.UploadConversionAdjustmentsRequest(
            customer_id=self.config.customer_id,
            conversion_adjustments=[self.adjustment(c, google_ads_time(c.closed_at)) for c in corrections],
            partial_failure=True,
            validate_only=validate_only,
        )
        try:
            response = self.client.upload_conversion_adjustments(
                request=request, retry=None, timeout=self.config.timeout_s
            )
        except (GoogleAdsException, api_exceptions.GoogleAPICallError) as exc:
            # A request-wide error says nothing about one correction: keep them all and try again.
            code = status_code(exc)
            shared = request_wide(code, getattr(exc, "message", ""))
            return {c.conversion_id: shared for c in corrections}
        by_index = {adjustment_index(e): e for e in decode_failure(response.partial_failure_error.details)}
        return {
            c.conversion_id: row_outcome(by_index[i]) if i in by_index else Outcome(UPLOADED)
            for i, c in enumerate(corrections)
        }
