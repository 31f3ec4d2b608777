"""Local stand-ins for Google: an OAuth token endpoint and TLS gRPC servers for the Data Manager
API (IngestionService) and the Google Ads API (ConversionUploadService, GoogleAdsService).

The installed client packages ship no generated servicers, so the servers register generic
handlers with the packages' own message types: the wire format is exactly what the real
client libraries send. Every call is recorded with its metadata.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections import Counter
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.ads import datamanager_v1 as dm
from google.ads.googleads.v26.errors.types import conversion_upload_error, errors
from google.ads.googleads.v26.services.types import conversion_upload_service as cus
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from eslamed.devtools.google_ads_peer import (
    ACCESS_TOKEN,
    AdsAccount,
    google_ads_service,
)

UploadError = conversion_upload_error.ConversionUploadErrorEnum.ConversionUploadError
Reason = dm.ProcessingErrorReason
DUPLICATE = Reason.PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID


_HELD_PORTS: list[socket.socket] = []


def unreachable_url() -> str:
    """A loopback URL nothing listens on (the port stays bound, so nothing else takes it)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(holder)
    return f"http://127.0.0.1:{holder.getsockname()[1]}/token"


@dataclass
class Call:
    method: str
    request: Any
    metadata: dict[str, str]


def partial_failure(failures: list) -> status_pb2.Status:
    """Google Ads' partial_failure_error: the row errors packed as a GoogleAdsFailure detail."""
    detail = any_pb2.Any(
        type_url="type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
        value=errors.GoogleAdsFailure.serialize(errors.GoogleAdsFailure(errors=failures)),
    )
    return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message="partial failure", details=[detail])


@dataclass
class GrpcPeer:
    key_pem: bytes
    cert_pem: bytes
    calls: list[Call] = field(default_factory=list)
    unavailable_left: int = 0
    bad_gclids: set[str] = field(default_factory=set)
    gclid_errors: dict[str, str] = field(default_factory=dict)
    final_status: str = "SUCCESS"
    request_error: str = ""
    request_code: str = ""
    """When set, every upload call is aborted with this gRPC status and no details at all."""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        for service, methods in self.services().items():
            handlers = {
                name: grpc.unary_unary_rpc_method_handler(
                    self._recorded(name, fn),
                    request_deserializer=req.deserialize,
                    response_serializer=resp.serialize,
                )
                for name, (fn, req, resp) in methods.items()
            }
            self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service, handlers)])
        self.account = AdsAccount(actions={987654321: ("Satış (offline)", "UPLOAD_CLICKS")})
        self.server.add_generic_rpc_handlers([google_ads_service(self.account, self._record_read)])
        creds = grpc.ssl_server_credentials([(self.key_pem, self.cert_pem)])
        self.port = self.server.add_secure_port("127.0.0.1:0", creds)
        self.endpoint = f"localhost:{self.port}"
        self.server.start()

    def services(self) -> dict[str, dict[str, tuple]]:
        raise NotImplementedError

    def _recorded(self, name: str, fn):
        def handler(request, context):
            metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            with self.lock:
                self.calls.append(Call(name, request, metadata))
                unavailable = self.unavailable_left > 0
                self.unavailable_left -= 1 if unavailable else 0
            if metadata.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong OAuth token")
            if unavailable:
                context.abort(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")
            if self.request_code and name in ("IngestEvents", "UploadClickConversions"):
                context.abort(grpc.StatusCode[self.request_code], f"request refused ({self.request_code})")
            return fn(request, context)

        return handler

    def _record_read(self, method: str, request: Any, metadata: dict[str, str]) -> None:
        with self.lock:
            self.calls.append(Call(method, request, metadata))

    def requests(self, method: str) -> list[Any]:
        with self.lock:
            return [c.request for c in self.calls if c.method == method]

    def stop(self) -> None:
        self.server.stop(grace=None)


class DataManagerPeer(GrpcPeer):
    """IngestionService: rejects a whole request (no partial failure) when any event has a bad gclid.

    Accepted requests are processed as Google does: `status_errors` (gclid -> processing error
    reason) and transaction ids already stored with the same value become error counts, and the
    request status is SUCCESS, PARTIAL_SUCCESS or FAILED from those counts alone (never per event).
    A stored transaction id sent again with a new value is a restatement (the 2026 adjustments
    guide): `conversions` keeps one conversion per transaction id, with its newest value.
    """

    status_errors: dict[str, str]
    unindexed_gclids: set[str]
    forget_requests: bool = False

    def services(self) -> dict[str, dict[str, tuple]]:
        self.accepted: dict[str, dm.IngestEventsRequest] = {}
        self.processed: dict[str, Counter] = {}
        self.stored: set[str] = set()
        self.conversions: dict[str, float] = {}
        self.status_errors = {}
        self.unindexed_gclids = set()
        return {
            "google.ads.datamanager.v1.IngestionService": {
                "IngestEvents": (self.ingest_events, dm.IngestEventsRequest, dm.IngestEventsResponse),
                "RetrieveRequestStatus": (
                    self.retrieve_status,
                    dm.RetrieveRequestStatusRequest,
                    dm.RetrieveRequestStatusResponse,
                ),
            }
        }

    def ingest_events(self, request: dm.IngestEventsRequest, context: grpc.ServicerContext):
        if self.request_error:
            info = any_pb2.Any()
            info.Pack(
                error_details_pb2.ErrorInfo(reason=self.request_error, domain="datamanager.googleapis.com")
            )
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT,
                message="Request contains an invalid argument.",
                details=[info],
            )
            context.abort_with_status(rpc_status.to_status(status))
        if any(e.ad_identifiers.gclid in self.unindexed_gclids for e in request.events):
            info = any_pb2.Any()
            info.Pack(
                error_details_pb2.ErrorInfo(reason="INVALID_FORMAT", domain="datamanager.googleapis.com")
            )
            violations = any_pb2.Any()
            violations.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field="events.ad_identifiers.gclid", description="Invalid gclid."
                        )
                    ]
                )
            )
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT,
                message="Request contains an invalid argument.",
                details=[info, violations],
            )
            context.abort_with_status(rpc_status.to_status(status))
        bad = [i for i, e in enumerate(request.events) if e.ad_identifiers.gclid in self.bad_gclids]
        if bad:
            info = any_pb2.Any()
            info.Pack(
                error_details_pb2.ErrorInfo(reason="INVALID_FORMAT", domain="datamanager.googleapis.com")
            )
            violations = any_pb2.Any()
            violations.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=f"events[{i}].ad_identifiers.gclid", description="Invalid gclid."
                        )
                        for i in bad
                    ]
                )
            )
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT,
                message="Request contains an invalid argument.",
                details=[info, violations],
            )
            context.abort_with_status(rpc_status.to_status(status))
        request_id = str(uuid.uuid4())
        if not request.validate_only:
            with self.lock:
                self.accepted[request_id] = request
                errors = Counter()
                for event in request.events:
                    known = self.conversions.get(event.transaction_id)
                    if known is not None and known != event.conversion_value:
                        self.conversions[event.transaction_id] = event.conversion_value
                    elif event.transaction_id in self.stored:
                        errors[DUPLICATE] += 1
                    elif event.ad_identifiers.gclid in self.status_errors:
                        errors[Reason[self.status_errors[event.ad_identifiers.gclid]]] += 1
                    else:
                        self.stored.add(event.transaction_id)
                        self.conversions[event.transaction_id] = event.conversion_value
                self.processed[request_id] = errors
        return dm.IngestEventsResponse(request_id=request_id)

    def retrieve_status(self, request: dm.RetrieveRequestStatusRequest, context: grpc.ServicerContext):
        if request.request_id not in self.accepted or self.forget_requests:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown request id")
        ingested = self.accepted[request.request_id]
        errors = self.processed[request.request_id]
        if self.final_status == "SUCCESS" and errors:
            failed_all = sum(errors.values()) == len(ingested.events)
            status = dm.RequestStatusPerDestination(
                destination=ingested.destinations[0],
                request_status=dm.RequestStatusPerDestination.RequestStatus[
                    "FAILED" if failed_all else "PARTIAL_SUCCESS"
                ],
                error_info=dm.ErrorInfo(
                    error_counts=[dm.ErrorCount(record_count=n, reason=r) for r, n in errors.items()]
                ),
                events_ingestion_status=dm.RequestStatusPerDestination.IngestEventsStatus(
                    record_count=len(ingested.events)
                ),
            )
            return dm.RetrieveRequestStatusResponse(request_status_per_destination=[status])
        failed = self.final_status == "FAILED"
        reason = dm.ProcessingErrorReason.PROCESSING_ERROR_REASON_CLICK_NOT_FOUND
        status = dm.RequestStatusPerDestination(
            destination=ingested.destinations[0],
            request_status=dm.RequestStatusPerDestination.RequestStatus[self.final_status],
            error_info=dm.ErrorInfo(
                error_counts=[dm.ErrorCount(record_count=len(ingested.events), reason=reason)]
            )
            if failed
            else None,
            events_ingestion_status=dm.RequestStatusPerDestination.IngestEventsStatus(
                record_count=len(ingested.events)
            ),
        )
        return dm.RetrieveRequestStatusResponse(request_status_per_destination=[status])

    def sent_transaction_ids(self) -> list[str]:
        """Transaction ids of every event the peer accepted (not validate-only)."""
        with self.lock:
            return [e.transaction_id for r in self.accepted.values() for e in r.events]


class GoogleAdsPeer(GrpcPeer):
    """ConversionUploadService with partial failure (GoogleAdsService comes with every peer)."""

    phone_refused: str = ""
    """When set, a conversion carrying a hashed phone fails with this ConversionUploadError."""

    def services(self) -> dict[str, dict[str, tuple]]:
        self.accepted_orders: list[str] = []
        return {
            "google.ads.googleads.v26.services.ConversionUploadService": {
                "UploadClickConversions": (
                    self.upload,
                    cus.UploadClickConversionsRequest,
                    cus.UploadClickConversionsResponse,
                )
            },
        }

    def upload(self, request: cus.UploadClickConversionsRequest, context: grpc.ServicerContext):
        failures, results = [], []
        for i, conversion in enumerate(request.conversions):
            code = None
            if conversion.gclid in self.gclid_errors:
                code = UploadError[self.gclid_errors[conversion.gclid]]
            elif conversion.gclid in self.bad_gclids:
                code = UploadError.UNPARSEABLE_GCLID
            elif conversion.order_id in self.accepted_orders:
                code = UploadError.CLICK_CONVERSION_ALREADY_EXISTS
            elif self.phone_refused and conversion.user_identifiers:
                code = UploadError[self.phone_refused]
            if code is None:
                results.append(
                    cus.ClickConversionResult(
                        gclid=conversion.gclid,
                        conversion_action=conversion.conversion_action,
                        conversion_date_time=conversion.conversion_date_time,
                    )
                )
                if not request.validate_only:
                    with self.lock:
                        self.accepted_orders.append(conversion.order_id)
                continue
            results.append(cus.ClickConversionResult())
            failures.append(
                errors.GoogleAdsError(
                    error_code=errors.ErrorCode(conversion_upload_error=code),
                    message="The click ID could not be decoded.",
                    location=errors.ErrorLocation(
                        field_path_elements=[
                            errors.ErrorLocation.FieldPathElement(field_name="conversions", index=i),
                            errors.ErrorLocation.FieldPathElement(field_name="gclid"),
                        ]
                    ),
                )
            )
        response = cus.UploadClickConversionsResponse(results=results)
        if failures:
            response.partial_failure_error = partial_failure(failures)
        return response

    def sent_order_ids(self) -> list[str]:
        with self.lock:
            return list(self.accepted_orders)


# ---- conv-stages: ConversionAdjustmentUploadService (corrections of uploaded sales) ------------
from google.ads.googleads.v26.errors.types import conversion_adjustment_upload_error  # noqa: E402
from google.ads.googleads.v26.services.types import conversion_adjustment_upload_service as caus  # noqa: E402

AdjustmentError = (
    conversion_adjustment_upload_error.ConversionAdjustmentUploadErrorEnum.ConversionAdjustmentUploadError
)


class GoogleAdsAdjustmentPeer(GoogleAdsPeer):
    """GoogleAdsPeer plus UploadConversionAdjustments, keyed by order id as Google does: an adjustment
    of an order it never accepted is CONVERSION_NOT_FOUND, a second retraction CONVERSION_ALREADY_RETRACTED
    (partial failure, by index)."""

    def services(self) -> dict[str, dict[str, tuple]]:
        services = super().services()
        self.adjustments: list[caus.ConversionAdjustment] = []
        services["google.ads.googleads.v26.services.ConversionAdjustmentUploadService"] = {
            "UploadConversionAdjustments": (
                self.upload_adjustments,
                caus.UploadConversionAdjustmentsRequest,
                caus.UploadConversionAdjustmentsResponse,
            )
        }
        return services

    def upload_adjustments(
        self, request: caus.UploadConversionAdjustmentsRequest, context: grpc.ServicerContext
    ):
        failures, results = [], []
        for i, adjustment in enumerate(request.conversion_adjustments):
            retracted = {a.order_id for a in self.adjustments if a.adjustment_type.name == "RETRACTION"}
            code = None
            if adjustment.order_id not in self.accepted_orders:
                code = AdjustmentError.CONVERSION_NOT_FOUND
            elif adjustment.order_id in retracted:
                code = AdjustmentError.CONVERSION_ALREADY_RETRACTED
            if code is None:
                if not request.validate_only:
                    with self.lock:
                        self.adjustments.append(adjustment)
                results.append(
                    caus.ConversionAdjustmentResult(
                        order_id=adjustment.order_id,
                        conversion_action=adjustment.conversion_action,
                        adjustment_type=adjustment.adjustment_type,
                    )
                )
                continue
            results.append(caus.ConversionAdjustmentResult())
            failures.append(
                errors.GoogleAdsError(
                    error_code=errors.ErrorCode(conversion_adjustment_upload_error=code),
                    message="The conversion for this adjustment was not found.",
                    location=errors.ErrorLocation(
                        field_path_elements=[
                            errors.ErrorLocation.FieldPathElement(
                                field_name="conversion_adjustments", index=i
                            )
                        ]
                    ),
                )
            )
        response = caus.UploadConversionAdjustmentsResponse(results=results)
        if failures:
            response.partial_failure_error = partial_failure(failures)
        return response


# ---- end conv-stages ---------------------------------------------------------------------------
