"""Fixtures for tests that upload sales to the local Google peers (loaded by tests/conftest.py).

`peer` is a Data Manager or Google Ads peer serving TLS with a self-signed certificate; `env`
points the real client libraries at it (endpoint, CA file) and at the local OAuth token endpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from eslamed.conversions.settings import ads_config
from eslamed.conversions.uploader import Uploader, make_backend
from eslamed.devtools.google_ads_peer import TokenServer, make_tls
from tests.support.conversions import PHONE, ads_env, settings_for, utcnow
from tests.support.google_peers import DataManagerPeer, GoogleAdsPeer

PHONE_SHA256 = hashlib.sha256(PHONE.encode()).hexdigest()
UPLOAD_METHOD = {"datamanager": "IngestEvents", "googleads": "UploadClickConversions"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def token_server():
    server = TokenServer()
    yield server
    server.stop()


@pytest.fixture(params=["datamanager", "googleads"])
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def peer(backend_name, tls):
    peer = (DataManagerPeer if backend_name == "datamanager" else GoogleAdsPeer)(tls[1], tls[2])
    yield peer
    peer.stop()


@pytest.fixture
def env(backend_name, peer, tls, token_server) -> dict[str, str]:
    return ads_env(backend_name, peer.endpoint, str(tls[0]), token_server.url)


@pytest.fixture
def settings(clickhouse, store, tmp_path, env):
    return settings_for(clickhouse.url, store, tmp_path, **env)


@pytest.fixture
def google(tmp_path) -> Iterator[tuple[GoogleAdsPeer, dict[str, str]]]:
    """A Google Ads peer of its own with the settings a server needs to upload to it (googleads backend)."""
    (tmp_path / "tls").mkdir()
    ca, key, cert = make_tls(tmp_path / "tls")
    peer, tokens = GoogleAdsPeer(key, cert), TokenServer()
    yield peer, ads_env("googleads", peer.endpoint, str(ca), tokens.url)
    peer.stop()
    tokens.stop()


def uploader(store, settings, clock=utcnow) -> Uploader:
    return Uploader(store, make_backend(ads_config(settings)), clock=clock)


def sent_ids(peer) -> list[str]:
    return peer.sent_transaction_ids() if isinstance(peer, DataManagerPeer) else peer.sent_order_ids()
