"""Google jobs inside the server: the sale upload and the ad cost import, in every worker, but only
the one holding the upload leader lock runs them; if that worker dies the kernel frees the lock and
another takes over."""

from __future__ import annotations

import logging

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


def google_jobs(settings: Settings, store: Store) -> list[Job]:
    """The upload job when uploads are configured (else sales stay PENDING) and the cost import when
    the account can be read; both under one leader lock, so one process talks to Google."""
    config = ads_config(settings)
    leader = upload_leader(settings)
    jobs = []
    if config.configured:
        jobs.append(
            Job(
                "conversion-upload",
                UploadRound(settings, store, config),
                interval_s=config.interval_s,
                backoff_max_s=config.interval_s,
                leader=leader,
                quiet=(StoreUnavailable,),
            )
        )
    else:
        log.info("Google Ads not configured (%s); sales stay PENDING", ", ".join(config.missing()))
    if not config.missing_to_read():
        jobs.append(
            Job(
                "ad-costs",
                lambda: run_import(store, config, DEFAULT_DAYS, utc_now()),
                interval_s=config.costs_interval_s,
                backoff_max_s=config.costs_interval_s,
                leader=leader,
                quiet=(StoreUnavailable,),
            )
        )
    if jobs:
        _grpc_cooperates_with_gevent()
    return jobs
