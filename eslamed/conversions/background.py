"""The uploader inside the server: a greenlet in every worker, but only the one holding the
file lock uploads; if that worker dies the kernel frees the lock and another takes over."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import gevent
import gevent.event

from eslamed.conversions.commands import fingerprint_file
from eslamed.conversions.lock import UploadLock
from eslamed.conversions.settings import AdsConfig, ads_config
from eslamed.conversions.uploader import Uploader, make_backend, retry_on_config_change, utcnow
from eslamed.core.store import Store, StoreUnavailable

if TYPE_CHECKING:
    from eslamed.runtime import Runtime

log = logging.getLogger(__name__)


def _grpc_cooperates_with_gevent() -> None:
    """gRPC's C core blocks the whole worker unless it is told it lives under gevent."""
    from gevent import monkey

    if monkey.is_module_patched("socket"):
        from grpc.experimental import gevent as grpc_gevent

        grpc_gevent.init_gevent()


class BackgroundUploader:
    def __init__(self, store: Store, config: AdsConfig, lock: UploadLock, fingerprint_file: Path) -> None:
        self.store = store
        self.config = config
        self.lock = lock
        self.fingerprint_file = fingerprint_file
        self._stop = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None
        self._uploader: Uploader | None = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        self._stop.set()
        if self._greenlet is not None:
            self._greenlet.join(timeout=self.config.timeout_s)
        self.lock.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.lock.acquire():
                try:
                    if self._uploader is None:
                        retry_on_config_change(self.store, self.config, self.fingerprint_file, utcnow())
                        self._uploader = Uploader(self.store, make_backend(self.config))
                    report = self._uploader.run_once()
                    if report.results:
                        log.info(
                            "conversion upload: %s, confirmed %s", dict(report.states), dict(report.confirmed)
                        )
                except StoreUnavailable as exc:
                    log.warning("conversion upload postponed: %s", exc)
                except Exception:
                    log.exception("conversion upload failed; retrying in %.0fs", self.config.interval_s)
            self._stop.wait(timeout=self.config.interval_s)


def start_uploader(runtime: Runtime) -> None:
    """Start the background uploader in this worker when Google Ads is configured."""
    config = ads_config(runtime.settings)
    if not config.configured:
        log.info("Google Ads not configured (%s); sales stay PENDING", ", ".join(config.missing()))
        return
    _grpc_cooperates_with_gevent()
    lock = UploadLock(runtime.settings.locks_dir)
    job = BackgroundUploader(runtime.store, config, lock, fingerprint_file(runtime.settings))
    job.start()
    runtime.background.append(job.stop)
