"""Google Ads API `ConversionUploadService.UploadClickConversions`, for developer tokens that were
already uploading before Google closed it to new adopters (June 2026).

Uses `partial_failure`, so Google accepts the good rows of a batch and names the bad ones by
index in `partial_failure_error`. A failure of the whole request is never a sale's verdict:
the sales are retried and the account alerted. An account that takes no hashed phone numbers
(customer data terms not accepted, enhanced conversions for leads off) still counts the click:
those rows are sent again with the click id alone, and the account is remembered for a day.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.interceptors import ExceptionInterceptor, MetadataInterceptor
from google.ads.googleads.v26.common.types import consent as consent_types
from google.ads.googleads.v26.common.types import offline_user_data
from google.ads.googleads.v26.enums.types import consent_status
from google.ads.googleads.v26.errors.types import errors as ads_errors
from google.ads.googleads.v26.services.services.conversion_upload_service import (
    ConversionUploadServiceClient,
)
from google.ads.googleads.v26.services.services.conversion_upload_service.transports import (
    ConversionUploadServiceGrpcTransport,
)
from google.ads.googleads.v26.services.types import conversion_upload_service as cus
from google.api_core import exceptions as api_exceptions

from eslamed.conversions.google_channel import (
    GOOGLE_ADS_SCOPE,
    credentials,
    secure_channel,
    status_code,
    token_problem,
)
from eslamed.conversions.model import FAILED, RETRY, UPLOADED, Outcome, Sale, google_ads_time
from eslamed.conversions.outcomes import alert, request_failed
from eslamed.conversions.reasons import (
    ALREADY_UPLOADED,
    PHONE_REFUSED,
    TOO_RECENT,
    TOO_RECENT_RETRY_S,
    google_reason,
    request_problem,
)
from eslamed.conversions.settings import AdsConfig

API_VERSION = "v26"
GRANTED = consent_status.ConsentStatusEnum.ConsentStatus.GRANTED
DENIED = consent_status.ConsentStatusEnum.ConsentStatus.DENIED
PHONE_RECHECK_S = 24 * 3600
"""How long an account that refused hashed phones gets the click id alone before phones are tried again."""


def ads_channel(config: AdsConfig, channel: grpc.Channel | None = None) -> grpc.Channel:
    """The channel google-ads itself would build: developer token and login customer id on every call,
    failures decoded into GoogleAdsException."""
    channel = channel or secure_channel(
        config, config.google_ads_endpoint, credentials(config, GOOGLE_ADS_SCOPE)
    )
    return grpc.intercept_channel(
        channel,
        MetadataInterceptor(config.developer_token, config.login_customer_id or None),
        ExceptionInterceptor(API_VERSION, use_proto_plus=True),
    )


def service_client(config: AdsConfig, channel: grpc.Channel | None, client_type: type, transport_type: type):
    """(a google-ads service client on our channel, its OAuth credentials). With a channel given (tests
    that build their own) the credentials are None: the channel carries them."""
    creds = None if channel else credentials(config, GOOGLE_ADS_SCOPE)
    channel = channel or secure_channel(config, config.google_ads_endpoint, creds)
    return client_type(transport=transport_type(channel=ads_channel(config, channel))), creds


def error_code_name(error: ads_errors.GoogleAdsError) -> str:
    """`conversion_upload_error: TOO_RECENT_EVENT` -> 'TOO_RECENT_EVENT' (whichever oneof is set)."""
    raw = ads_errors.ErrorCode.pb(error.error_code)
    field = raw.WhichOneof("error_code")
    if field is None:
        return "UNKNOWN"
    return raw.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[getattr(raw, field)].name


def conversion_index(error: ads_errors.GoogleAdsError) -> int | None:
    for element in error.location.field_path_elements:
        if element.field_name == "conversions" and "index" in element:
            return element.index
    return None


def decode_failure(details: list) -> list[ads_errors.GoogleAdsError]:
    found = []
    for detail in details:
        if detail.type_url.endswith("errors.GoogleAdsFailure"):
            found.extend(ads_errors.GoogleAdsFailure.deserialize(detail.value).errors)
    return found


def row_outcome(error: ads_errors.GoogleAdsError) -> Outcome:
    code = error_code_name(error)
    if code in PHONE_REFUSED:
        return Outcome(RETRY, request_problem(code), retry_after_s=TOO_RECENT_RETRY_S, keep_trying=True)
    if code in ALREADY_UPLOADED:
        return Outcome(UPLOADED, google_reason(code))
    if code in TOO_RECENT:
        return Outcome(RETRY, google_reason(code), retry_after_s=TOO_RECENT_RETRY_S)
    return Outcome(FAILED, google_reason(code, error.message))


class GoogleAdsBackend:
    name = "googleads"

    def __init__(self, config: AdsConfig, channel: grpc.Channel | None = None) -> None:
        self.config = config
        self.client, self.credentials = service_client(
            config, channel, ConversionUploadServiceClient, ConversionUploadServiceGrpcTransport
        )
        # When Google last refused hashed phones for this account (monotonic seconds): the
        # background worker keeps one backend, so its later uploads send the click id alone at once.
        self.phones_refused_at: float | None = None

    @property
    def phones_refused(self) -> bool:
        refused_at = self.phones_refused_at
        return refused_at is not None and time.monotonic() - refused_at < PHONE_RECHECK_S

    def conversion(self, sale: Sale) -> cus.ClickConversion:
        conversion = cus.ClickConversion(
            conversion_action=f"customers/{self.config.customer_id}/conversionActions/"
            f"{self.config.conversion_action_id}",
            conversion_date_time=google_ads_time(sale.closed_at),
            conversion_value=float(sale.revenue),
            currency_code=sale.currency,
            order_id=sale.transaction_id,
            consent=consent_types.Consent(
                ad_user_data=GRANTED if sale.consent else DENIED,
                ad_personalization=GRANTED if sale.consent else DENIED,
            ),
        )
        kind, click = sale.click_id
        if click:
            setattr(conversion, kind, click)
        if sale.phone_sha256 and not (click and self.phones_refused):
            conversion.user_identifiers.append(
                offline_user_data.UserIdentifier(hashed_phone_number=sale.phone_sha256)
            )
        return conversion

    def upload(self, sales: list[Sale], validate_only: bool = False) -> dict[uuid.UUID, Outcome]:
        if not sales:
            return {}
        problem = token_problem(self.credentials)
        if problem:
            return self._shared(sales, problem, "OAuth token refresh")
        request = cus.UploadClickConversionsRequest(
            customer_id=self.config.customer_id,
            conversions=[self.conversion(sale) for sale in sales],
            partial_failure=True,
            validate_only=validate_only,
        )
        try:
            response = self.client.upload_click_conversions(
                request=request, retry=None, timeout=self.config.timeout_s
            )
        except GoogleAdsException as exc:
            return self._request_failed(sales, exc, validate_only)
        except api_exceptions.GoogleAPICallError as exc:
            return self._shared(sales, status_code(exc), exc.message)
        by_index = {conversion_index(e): e for e in decode_failure(response.partial_failure_error.details)}
        outcomes = {
            sale.conversion_id: row_outcome(by_index[i]) if i in by_index else Outcome(UPLOADED)
            for i, sale in enumerate(sales)
        }
        return self._without_phone(sales, by_index, outcomes, validate_only)

    def _shared(self, sales: list[Sale], code: str, detail: str) -> dict[uuid.UUID, Outcome]:
        """The whole request failed: no sale is to blame, every one is kept for a retry."""
        return request_failed(self.name, self.config.customer_id, sales, code, detail)

    def _without_phone(
        self,
        sales: list[Sale],
        by_index: dict[int | None, ads_errors.GoogleAdsError],
        outcomes: dict[uuid.UUID, Outcome],
        validate_only: bool,
    ) -> dict[uuid.UUID, Outcome]:
        """Rows refused only for their hashed phone go again with the click id alone."""
        refused = [i for i, e in by_index.items() if i is not None and error_code_name(e) in PHONE_REFUSED]
        if not refused:
            return outcomes
        code = error_code_name(by_index[refused[0]])
        alert(self.name, self.config.customer_id, code, "hashed phones refused; sending click ids alone")
        self.phones_refused_at = time.monotonic()
        again = [sales[i] for i in refused if sales[i].click_id[1]]
        if again:
            outcomes.update(self.upload([replace(s, phone_sha256="") for s in again], validate_only))
        return outcomes

    def _request_failed(
        self, sales: list[Sale], exc: GoogleAdsException, validate_only: bool
    ) -> dict[uuid.UUID, Outcome]:
        """Nothing was stored. Rows Google named get their outcome; the rest are sent again without them."""
        named = {conversion_index(e): e for e in exc.failure.errors}
        outcomes = {sales[i].conversion_id: row_outcome(e) for i, e in named.items() if i is not None}
        if not outcomes:
            first = exc.failure.errors[0] if exc.failure.errors else None
            code = error_code_name(first) if first else status_code(exc)
            return self._shared(sales, code, first.message if first else "")
        rest = [sale for sale in sales if sale.conversion_id not in outcomes]
        outcomes.update(self.upload(rest, validate_only))
        return self._without_phone(sales, named, outcomes, validate_only)
