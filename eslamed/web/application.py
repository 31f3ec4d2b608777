"""The WSGI application of a worker: the bare track endpoint in front, Flask for everything else,
and the security headers every answer gets (added here, so no route can forget them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask

from eslamed.web import edge, health, security_headers
from eslamed.web import inbound as inbound
from eslamed.web import leads as leads
from eslamed.web import site as site
from eslamed.web.runtime import Runtime
from eslamed.web.track import TrackEndpoint

TRACK_PATH = "/api/track"
FLASK_NAME = "eslamed.app"
"""The Flask app's name, and so its logger's, as operators' log filters know it."""


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


def flask_app(runtime: Runtime, more: Iterable[Blueprint] = ()) -> Flask:
    """The site, lead, webhook and health routes, then `more` (the admin API, which the app layer adds)."""
    app = Flask(FLASK_NAME, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["eslamed"] = runtime
    edge.install(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(leads.bp)
    app.register_blueprint(inbound.bp)  # after leads: inbound leads go through its service
    for blueprint in more:
        app.register_blueprint(blueprint)
    return app
