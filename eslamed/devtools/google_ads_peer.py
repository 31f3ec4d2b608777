"""A local Google Ads API v26 for the demo and the tests: an OAuth token endpoint and a TLS gRPC
`GoogleAdsService` (Search and SearchStream) that reads the GAQL it is sent.

The real google-ads client reaches it through GOOGLE_ADS_ENDPOINT, GOOGLE_ADS_CA_FILE and
GOOGLE_ADS_TOKEN_URI. The query is parsed as Google does it for what we use: the resource in FROM,
the selected fields (an unknown or foreign field is refused with `query_error: UNRECOGNIZED_FIELD` or
`PROHIBITED_FIELD_IN_SELECT_CLAUSE`), and the date filter (`segments.date BETWEEN … AND …`, `= …`;
`click_view` needs a single day). It answers only the fields asked for. An account can be made to
refuse every call with an authorization, authentication or quota error, as Google's would.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.ads.googleads.v26.enums.types import (
    conversion_action_status,
    conversion_action_type,
    customer_status,
)
from google.ads.googleads.v26.errors.types import errors
from google.ads.googleads.v26.services.types import google_ads_service as gas

ACCESS_TOKEN = "ya29.local-test-token"  # noqa: S105 - the peer's own made-up token
SERVICE = "google.ads.googleads.v26.services.GoogleAdsService"
FAILURE_KEY = "google.ads.googleads.v26.errors.googleadsfailure-bin"

FIELDS: dict[str, set[str]] = {
    "customer": {
        "customer.id",
        "customer.descriptive_name",
        "customer.currency_code",
        "customer.time_zone",
        "customer.status",
        "customer.conversion_tracking_setting.accepted_customer_data_terms",
    },
    "campaign": {
        "campaign.id",
        "campaign.name",
        "segments.date",
        "metrics.cost_micros",
        "metrics.clicks",
        "metrics.impressions",
    },
    "click_view": {"click_view.gclid", "campaign.id", "segments.date"},
    "conversion_action": {
        "conversion_action.id",
        "conversion_action.name",
        "conversion_action.status",
        "conversion_action.type",
    },
}
KNOWN = set().union(*FIELDS.values())
ACTION_STATUS = conversion_action_status.ConversionActionStatusEnum.ConversionActionStatus
ACTION_TYPE = conversion_action_type.ConversionActionTypeEnum.ConversionActionType
QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+.+?)?(?:\s+LIMIT\s+\d+)?\s*$",
    re.I | re.S,
)
CONDITION = re.compile(
    r"^(?P<field>[\w.]+)\s*(?:(?P<op>=|BETWEEN)\s*(?P<a>'[^']*'|\d+)(?:\s+AND\s+(?P<b>'[^']*'|\d+))?)$",
    re.I,
)


class Refused(Exception):
    """Google's refusal of a call: a gRPC status and one GoogleAdsError."""

    def __init__(self, status: grpc.StatusCode, kind: str, name: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.name = status, kind, name

    def failure(self) -> bytes:
        error = errors.GoogleAdsError(
            error_code=errors.ErrorCode(**{self.kind: self.name}), message=str(self)
        )
        return errors.GoogleAdsFailure.serialize(errors.GoogleAdsFailure(errors=[error]))


REFUSALS: dict[str, tuple[grpc.StatusCode, str, str]] = {
    "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION": (
        grpc.StatusCode.PERMISSION_DENIED,
        "authorization_error",
        "The Google Cloud project of this OAuth client is not approved for production access.",
    ),
    "USER_PERMISSION_DENIED": (
        grpc.StatusCode.PERMISSION_DENIED,
        "authorization_error",
        "The user does not have permission to access this customer.",
    ),
    "RESOURCE_EXHAUSTED": (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota_error",
        "Too many requests. Retry in 30 seconds.",
    ),
}


def _bad_query(name: str, message: str) -> Refused:
    return Refused(grpc.StatusCode.INVALID_ARGUMENT, "query_error", name, message)


@dataclass
class Query:
    resource: str
    fields: list[str]
    first: dt.date | None
    last: dt.date | None
    equals: dict[str, int]


def parse_query(text: str) -> Query:
    """The parts of a GAQL query the account answers; anything else is refused as Google would."""
    match = QUERY.match(text)
    if not match:
        raise _bad_query("UNEXPECTED_INPUT", f"Error in query: unexpected input {text[:40]!r}.")
    resource = match["resource"]
    if resource not in FIELDS:
        raise _bad_query("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", f"Invalid resource in FROM: {resource}.")
    fields = [f.strip() for f in match["fields"].split(",")]
    for name in fields:
        if name not in KNOWN:
            raise _bad_query("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if name not in FIELDS[resource]:
            raise _bad_query(
                "PROHIBITED_FIELD_IN_SELECT_CLAUSE", f"'{name}' cannot be selected with FROM {resource}."
            )
    first = last = None
    equals: dict[str, int] = {}
    where = re.split(r"\s+AND\s+(?=[a-z_]+\.)", match["where"] or "", flags=re.I)
    for part in (p.strip() for p in where if p.strip()):
        condition = CONDITION.match(part)
        if not condition or condition["field"] not in KNOWN:
            raise _bad_query("UNRECOGNIZED_FIELD", f"Cannot filter on: '{part}'.")
        if condition["field"] == "segments.date":
            try:
                first = dt.date.fromisoformat(condition["a"].strip("'"))
                last = dt.date.fromisoformat((condition["b"] or condition["a"]).strip("'"))
            except ValueError:
                raise _bad_query("INVALID_DATE_FORMAT", f"Invalid date in: '{part}'.") from None
        else:
            equals[condition["field"]] = int(condition["a"].strip("'"))
    if resource == "click_view" and (first is None or first != last):
        raise _bad_query(
            "EXPECTED_FILTERS_ON_DATE_RANGE", "click_view requires a filter on a single day (segments.date)."
        )
    if "segments.date" in fields and first is None:
        raise _bad_query("EXPECTED_FILTERS_ON_DATE_RANGE", "segments.date in SELECT needs a date range.")
    return Query(resource, fields, first, last, equals)


@dataclass
class AdsAccount:
    """What one Google Ads account holds: campaigns with their daily spend, clicks by gclid."""

    customer_id: str = "1234567890"
    name: str = "Eslamed Medikal"
    currency: str = "TRY"
    time_zone: str = "Europe/Istanbul"
    campaigns: dict[int, str] = field(default_factory=dict)
    costs: dict[tuple[int, dt.date], tuple[int, int, int]] = field(default_factory=dict)
    """(campaign id, day) -> (cost_micros, clicks, impressions)"""
    clicks: dict[str, tuple[int, dt.date]] = field(default_factory=dict)
    """gclid -> (campaign id, day of the click)"""
    actions: dict[int, tuple[str, str]] = field(default_factory=dict)
    """conversion action id -> (name, type)"""
    refuse: str = ""
    """A REFUSALS key: every call is refused so while set."""

    def rows(self, customer_id: str, query: Query) -> list[gas.GoogleAdsRow]:
        if self.refuse:
            status, kind, message = REFUSALS[self.refuse]
            raise Refused(status, kind, self.refuse, message)
        if customer_id != self.customer_id:
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                "authorization_error",
                "USER_PERMISSION_DENIED",
                "User doesn't have permission to access customer.",
            )
        return [self._pick(row, query.fields) for row in getattr(self, f"_{query.resource}")(query)]

    @staticmethod
    def _pick(full: dict[str, Any], fields: list[str]) -> gas.GoogleAdsRow:
        """Only what was asked for, as Google answers."""
        row = gas.GoogleAdsRow()
        for name in fields:
            *path, leaf = name.split(".")
            target = row
            for part in path:
                target = getattr(target, part)
            setattr(target, "type_" if leaf == "type" else leaf, full[name])
        return row

    def _customer(self, query: Query) -> Iterator[dict[str, Any]]:
        yield {
            "customer.id": int(self.customer_id),
            "customer.descriptive_name": self.name,
            "customer.currency_code": self.currency,
            "customer.time_zone": self.time_zone,
            "customer.status": customer_status.CustomerStatusEnum.CustomerStatus.ENABLED,
            "customer.conversion_tracking_setting.accepted_customer_data_terms": True,
        }

    def _within(self, day: dt.date, query: Query) -> bool:
        return query.first is None or query.first <= day <= query.last  # type: ignore[operator]

    def _campaign(self, query: Query) -> Iterator[dict[str, Any]]:
        by_day = "segments.date" in query.fields
        totals: dict[tuple[int, dt.date | None], list[int]] = {}
        for (campaign_id, day), figures in sorted(self.costs.items()):
            wanted = query.equals.get("campaign.id", campaign_id) == campaign_id
            if wanted and self._within(day, query):
                cell = totals.setdefault((campaign_id, day if by_day else None), [0, 0, 0])
                for i, value in enumerate(figures):
                    cell[i] += value
        for (campaign_id, day), (micros, clicks, impressions) in totals.items():
            yield {
                "campaign.id": campaign_id,
                "campaign.name": self.campaigns[campaign_id],
                "segments.date": day.isoformat() if day else "",
                "metrics.cost_micros": micros,
                "metrics.clicks": clicks,
                "metrics.impressions": impressions,
            }

    def _click_view(self, query: Query) -> Iterator[dict[str, Any]]:
        for gclid, (campaign_id, day) in sorted(self.clicks.items()):
            if self._within(day, query):
                yield {"click_view.gclid": gclid, "campaign.id": campaign_id, "segments.date": str(day)}

    def _conversion_action(self, query: Query) -> Iterator[dict[str, Any]]:
        for action_id, (name, kind) in sorted(self.actions.items()):
            if query.equals.get("conversion_action.id", action_id) == action_id:
                yield {
                    "conversion_action.id": action_id,
                    "conversion_action.name": name,
                    "conversion_action.status": ACTION_STATUS.ENABLED,
                    "conversion_action.type": ACTION_TYPE[kind],
                }


def google_ads_service(
    account: AdsAccount, record: Callable[[str, Any, dict[str, str]], None] | None = None
) -> grpc.GenericRpcHandler:
    """Search and SearchStream over `account`, refusing calls without the peer's OAuth token."""

    def answer(request: Any, context: grpc.ServicerContext, method: str) -> list[gas.GoogleAdsRow]:
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        if record is not None:
            record(method, request, metadata)
        if metadata.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong OAuth token")
        try:
            return account.rows(request.customer_id, parse_query(request.query))
        except Refused as refused:
            context.set_trailing_metadata([(FAILURE_KEY, refused.failure())])
            context.abort(refused.status, str(refused))
            raise  # abort raises; this line only satisfies type checkers

    def search(request: gas.SearchGoogleAdsRequest, context: grpc.ServicerContext):
        return gas.SearchGoogleAdsResponse(results=answer(request, context, "Search"))

    def search_stream(request: gas.SearchGoogleAdsStreamRequest, context: grpc.ServicerContext):
        rows = answer(request, context, "SearchStream")
        for i in range(0, max(len(rows), 1), 10000):
            yield gas.SearchGoogleAdsStreamResponse(results=rows[i : i + 10000])

    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Search": grpc.unary_unary_rpc_method_handler(
                search,
                request_deserializer=gas.SearchGoogleAdsRequest.deserialize,
                response_serializer=gas.SearchGoogleAdsResponse.serialize,
            ),
            "SearchStream": grpc.unary_stream_rpc_method_handler(
                search_stream,
                request_deserializer=gas.SearchGoogleAdsStreamRequest.deserialize,
                response_serializer=gas.SearchGoogleAdsStreamResponse.serialize,
            ),
        },
    )


def make_tls(directory: Path) -> tuple[Path, bytes, bytes]:
    """A self-signed certificate for localhost/127.0.0.1; returns (ca file, key pem, cert pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ca_file = directory / "google-test-ca.pem"
    ca_file.write_bytes(cert_pem)
    return ca_file, key_pem, cert_pem


class TokenServer:
    """OAuth2 token endpoint: answers every refresh-token grant with ACCESS_TOKEN, with 400
    invalid_grant while `revoked`, or with 503 while `unavailable` (Google's endpoint in trouble)."""

    def __init__(self) -> None:
        self.grants: list[dict[str, str]] = []
        self.revoked = False
        self.unavailable = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.grants.append(dict(parse_qsl(body)))
                if outer.unavailable:
                    code, answer = 503, {"error": "internal_failure", "error_description": "Backend Error"}
                elif outer.revoked:
                    code, answer = (
                        400,
                        {"error": "invalid_grant", "error_description": "Token has been revoked."},
                    )
                else:
                    code, answer = (
                        200,
                        {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"},
                    )
                payload = json.dumps(answer)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class AdsPeer:
    """The account behind TLS and OAuth on loopback, with the settings that reach it."""

    def __init__(self, account: AdsAccount, directory: Path) -> None:
        self.account = account
        self.calls: list[tuple[str, Any, dict[str, str]]] = []
        self.tokens = TokenServer()
        self.ca_file, key_pem, cert_pem = make_tls(directory)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers([google_ads_service(account, self._record)])
        port = self.server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key_pem, cert_pem)]))
        self.endpoint = f"localhost:{port}"
        self.server.start()

    def _record(self, method: str, request: Any, metadata: dict[str, str]) -> None:
        self.calls.append((method, request, metadata))

    def env(self) -> dict[str, str]:
        """The settings that point the real client here (OAuth trio, no developer token)."""
        return {
            "GOOGLE_ADS_CUSTOMER_ID": self.account.customer_id,
            "GOOGLE_ADS_CLIENT_ID": "local-peer.apps.googleusercontent.com",
            "GOOGLE_ADS_CLIENT_SECRET": "local-peer-secret",
            "GOOGLE_ADS_REFRESH_TOKEN": "1//local-peer-refresh",
            "GOOGLE_ADS_ENDPOINT": self.endpoint,
            "GOOGLE_ADS_CA_FILE": str(self.ca_file),
            "GOOGLE_ADS_TOKEN_URI": self.tokens.url,
        }

    def stop(self) -> None:
        self.server.stop(grace=None)
        self.tokens.stop()
