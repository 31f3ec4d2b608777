"""Google jobs inside the server: the sale upload and the ad cost import, in every worker, but only
the one holding the upload leader lock runs them; if that worker dies the kernel frees the lock and
another takes over."""

from __future__ import annotations

import logging
import time

from eslamed.conversions.costs import DEFAULT_DAYS, run_import
from eslamed.conversions.settings import AdsConfig, ads_config, fingerprint_file, upload_leader
from eslamed.conversions.uploader import Uploader, make_backend, retry_on_config_change
from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.jobs import Job
from eslamed.core.store import Store, StoreUnavailable

log = logging.getLogger(__name__)


def _grpc_cooperates_with_gevent() -> None:
    """gRPC's C core blocks the whole worker unless it is told it lives under gevent."""
    from gevent import monkey

    if monkey.is_module_patched("socket"):
        from grpc.experimental import gevent as grpc_gevent

        grpc_gevent.init_gevent()


class UploadRound:
    """One round of the leader's uploads; the uploader is built on the first round it leads."""

    def __init__(self, settings: Settings, store: Store, config: AdsConfig) -> None:
        self.settings = settings
        self.store = store
        self.config = config
        self._uploader: Uploader | None = None

    def __call__(self) -> None:
        if self._uploader is None:
            retry_on_config_change(self.store, self.config, fingerprint_file(self.settings), utc_now())
            self._uploader = Uploader(self.store, make_backend(self.config))
        report = self._uploader.run_once()
        if report.results:
            log.info("conversion upload: %s, confirmed %s", dict(report.states), dict(report.confirmed))


class GoogleRound:
    """One round of the leader's talk with Google: the due uploads, then the ad cost import when it is
    due. One job, so one greenlet ever drives gRPC in a worker (two at once, at a worker's start, once
    aborted it inside gRPC's poller)."""

    def __init__(self, upload: UploadRound | None, config: AdsConfig, store: Store) -> None:
        self.upload = upload
        self.config = config
        self.store = store
        self.costs_due = 0.0 if not config.missing_to_read() else float("inf")

    def __call__(self) -> None:
        if self.upload is not None:
            self.upload()
        if time.monotonic() >= self.costs_due:
            self.costs_due = time.monotonic() + self.config.costs_interval_s
            run_import(self.store, self.config, DEFAULT_DAYS, utc_now())


def google_job(settings: Settings, store: Store) -> Job | None:
    """Uploads when they are configured (else sales stay PENDING), the cost import when the account can
    be read; under the upload leader lock, so one process talks to Google."""
    config = ads_config(settings)
    upload = UploadRound(settings, store, config) if config.configured else None
    if upload is None:
        log.info("Google Ads not configured (%s); sales stay PENDING", ", ".join(config.missing()))
    if upload is None and config.missing_to_read():
        return None
    _grpc_cooperates_with_gevent()
    interval = config.interval_s if upload is not None else config.costs_interval_s
    return Job(
        "google-ads",
        GoogleRound(upload, config, store),
        interval_s=min(interval, config.costs_interval_s),
        backoff_max_s=interval,
        leader=upload_leader(settings),
        quiet=(StoreUnavailable,),
    )
