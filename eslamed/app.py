"""Application factory: Flask for the site, admin and health routes; the bare track endpoint in front."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from eslamed.admin import web as admin_web
from eslamed.conversions.background import uploader_job
from eslamed.core.config import Settings, load_settings
from eslamed.web import edge, health, security_headers
from eslamed.web import inbound as inbound
from eslamed.web import leads as leads
from eslamed.web import site as site
from eslamed.web.runtime import Runtime
from eslamed.web.track import TrackEndpoint

TRACK_PATH = "/api/track"


class Dispatcher:
    """Routes /api/track to the lean endpoint and everything else to Flask."""

    def __init__(self, flask_app: Flask, track: TrackEndpoint, runtime: Runtime) -> None:
        self.flask_app = flask_app
        self.track = track
        self.runtime = runtime
        self.track_headers = {
            https: security_headers.headers_for(TRACK_PATH, https) for https in (False, True)
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        https = security_headers.is_https(environ, self.runtime.settings.trusted_proxies)
        if path == TRACK_PATH:
            return self.track(environ, start_response, self.track_headers[https])
        extra = security_headers.headers_for(path, https)

        def start_with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(h for h in extra if h[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.flask_app(environ, start_with_headers)


def create_flask_app(runtime: Runtime) -> Flask:

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["eslamed"] = runtime
    edge.install(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(leads.bp)
    app.register_blueprint(inbound.bp)  # after leads: inbound leads go through its service
    app.register_blueprint(admin_web.bp)
    return app


def create_app(settings: Settings | None = None, start_ingest: bool = True) -> Dispatcher:
    settings = settings or load_settings()
    runtime = Runtime.build(settings)
    flask_app = create_flask_app(runtime)
    if start_ingest:
        runtime.start_ingest()
        for job in (*leads.service(flask_app).jobs(), uploader_job(settings, runtime.store)):
            if job is not None:
                runtime.supervisor.add(job)
        runtime.supervisor.start()
    return Dispatcher(flask_app, TrackEndpoint(runtime), runtime)
