"""gunicorn settings for every environment: gevent workers, crash-safe ring hooks, shared metrics.

Configuration is read here once, in the master, so a bad value stops the server before
any worker starts, with one line naming the variable.
"""

import logging
import os
import shutil
import sys

from eslamed.core import logs
from eslamed.core.config import ConfigError, load_settings, process_options
from eslamed.core.durable import keep_private

try:
    _settings = load_settings()
except ConfigError as _exc:
    sys.stderr.write(f"eslamed: configuration error: {_exc}\n")
    sys.exit(2)

_options = process_options()
logs.configure([_settings.admin_secret], _options.log_level)
# the master drains dead workers' ring slots and holds the metrics files: private, as the workers' files
keep_private(_settings.data_dir, _settings.spool_dir)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_settings.metrics_dir)

bind = _options.bind
workers = _options.workers
worker_class = "gevent"
worker_connections = 2000
keepalive = 5
timeout = 30
graceful_timeout = 20
limit_request_line = 8190
limit_request_fields = 60
limit_request_field_size = 8190
control_socket_disable = True
accesslog = _options.access_log
errorlog = "-"
loglevel = _options.log_level
proc_name = "eslamed"


def on_starting(server):
    from eslamed.ingest.useragent import warm_up

    shutil.rmtree(_settings.metrics_dir, ignore_errors=True)
    _settings.metrics_dir.mkdir(parents=True, exist_ok=True)
    warm_up()


def worker_exit(server, worker):
    """SIGTERM or max-requests: flush what this worker buffered before it goes."""
    app = getattr(worker, "wsgi", None)
    runtime = getattr(app, "runtime", None)
    if runtime is not None:
        runtime.shutdown(deadline_s=graceful_timeout / 2)


def child_exit(server, worker):
    """In the master, after a worker died (even by kill -9): count its metrics as dead, drain its slot."""
    from eslamed.core import metrics
    from eslamed.core.store import Store, StoreUnavailable
    from eslamed.ingest.event_sink import EventSink
    from eslamed.ring.flusher import drain_orphans
    from eslamed.web.runtime import buffer_layout

    metrics.mark_process_dead(worker.pid)
    store = Store(_settings.clickhouse, timeout_s=1.0, pool_size=1)
    try:
        recovered = drain_orphans(buffer_layout(_settings), EventSink(store), _settings.flush_batch_size)
        if recovered:
            server.log.info("drained %d events left by worker %s", recovered, worker.pid)
    except StoreUnavailable as exc:
        server.log.warning("could not drain worker %s now (%s); a live worker will", worker.pid, exc)
    except Exception:
        logging.getLogger("eslamed").exception("draining the slot of worker %s failed", worker.pid)
    finally:
        store.close()
