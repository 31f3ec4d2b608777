"""Authenticated gRPC channels to Google, shared by both backends and `eslamed ads check`.

OAuth (client id/secret/refresh token) or a service-account key file; the endpoint, the
token URI and a CA bundle can be overridden so tests reach local TLS peers with the real
client libraries.
"""

from __future__ import annotations

from pathlib import Path

import grpc
from google.api_core import grpc_helpers
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request
from google.oauth2 import credentials as oauth_credentials
from google.oauth2 import service_account

from eslamed.conversions.reasons import TOKEN_UNREACHABLE
from eslamed.conversions.settings import AdsConfig

DATAMANAGER_SCOPE = "https://www.googleapis.com/auth/datamanager"
GOOGLE_ADS_SCOPE = "https://www.googleapis.com/auth/adwords"


def credentials(config: AdsConfig, scope: str) -> Credentials:
    if config.service_account_file:
        return service_account.Credentials.from_service_account_file(
            config.service_account_file, scopes=[scope]
        )
    return oauth_credentials.Credentials(
        token=None,
        refresh_token=config.refresh_token,
        client_id=config.client_id,
        client_secret=config.client_secret,
        token_uri=config.token_uri,
        scopes=[scope],
    )


def token_problem(creds: Credentials | None) -> str:
    """'' when `creds` hold a usable token (refreshing it first if needed), else why not.

    Refreshing here, before the call, keeps google-auth's typed errors: a token endpoint that
    refuses (400 invalid_grant, wrong client secret) is UNAUTHENTICATED and needs the owner; one
    that cannot be reached or answers 5xx is TOKEN_ENDPOINT_UNREACHABLE and only needs a retry.
    """
    if creds is None or creds.valid:
        return ""
    try:
        creds.refresh(Request())
    except auth_exceptions.TransportError:
        return TOKEN_UNREACHABLE
    except auth_exceptions.RefreshError as exc:
        return TOKEN_UNREACHABLE if getattr(exc, "retryable", False) else "UNAUTHENTICATED"
    return ""


def secure_channel(config: AdsConfig, endpoint: str, creds: Credentials) -> grpc.Channel:
    ssl = grpc.ssl_channel_credentials(Path(config.ca_file).read_bytes()) if config.ca_file else None
    return grpc_helpers.create_channel(
        endpoint,
        credentials=creds,
        ssl_credentials=ssl,
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)],
    )


def status_code(exc: BaseException) -> str:
    """The gRPC status name of an error from either client library ('' when it is not a gRPC error).

    A token refresh that fails inside gRPC's auth plugin (the token expired during a run) reaches us
    as UNAVAILABLE: an OAuth error answer ('error': 'invalid_grant') is reported as UNAUTHENTICATED so
    the owner learns what to fix, anything else as the token endpoint being unreachable.
    """
    inner = getattr(exc, "error", None)
    for candidate in (exc, inner):
        code = getattr(candidate, "grpc_status_code", None)
        if code is None and isinstance(candidate, grpc.RpcError) and hasattr(candidate, "code"):
            code = candidate.code()
        if isinstance(code, grpc.StatusCode):
            if code == grpc.StatusCode.UNAVAILABLE and "metadata from plugin" in str(exc):
                return "UNAUTHENTICATED" if "'error':" in str(exc) else TOKEN_UNREACHABLE
            return code.name
    return ""
