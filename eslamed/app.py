"""Application factory: Flask for the site, admin and health routes; the bare track endpoint in front."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from eslamed.config import Settings, load_settings
from eslamed.ingest.track import TrackEndpoint
from eslamed.runtime import Runtime

TRACK_PATH = "/api/track"


class Dispatcher:
    """Routes /api/track to the lean endpoint and everything else to Flask."""

    def __init__(self, flask_app: Flask, track: TrackEndpoint, runtime: Runtime) -> None:
        self.flask_app = flask_app
        self.track = track
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == TRACK_PATH:
            return self.track(environ, start_response)
        return self.flask_app(environ, start_response)


def create_flask_app(runtime: Runtime) -> Flask:
    from eslamed import health
    from eslamed.admin import web as admin_web

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["eslamed"] = runtime
    app.register_blueprint(health.bp)
    app.register_blueprint(admin_web.bp)
    return app


def create_app(settings: Settings | None = None, start_ingest: bool = True) -> Dispatcher:
    settings = settings or load_settings()
    runtime = Runtime.build(settings)
    if start_ingest:
        runtime.start_ingest()
    flask_app = create_flask_app(runtime)
    return Dispatcher(flask_app, TrackEndpoint(runtime), runtime)
