"""Application factory: one worker's runtime, its Flask routes (the admin's included), the bare track
endpoint in front, and its background jobs started. The composition only: no HTTP is spoken here."""

from __future__ import annotations

from eslamed.admin import web as admin_web
from eslamed.conversions.background import google_job
from eslamed.core.config import Settings, load_settings
from eslamed.privacy.retention import retention_job
from eslamed.web import application
from eslamed.web import leads as leads
from eslamed.web.runtime import Runtime
from eslamed.web.track import TrackEndpoint


def create_flask_app(runtime: Runtime) -> application.Flask:
    return application.flask_app(runtime, (admin_web.bp,))


def create_app(settings: Settings | None = None, start_ingest: bool = True) -> application.Dispatcher:
    settings = settings or load_settings()
    runtime = Runtime.build(settings)
    flask_app = create_flask_app(runtime)
    if start_ingest:
        runtime.start_ingest()
        jobs = (*leads.service(flask_app).jobs(), google_job(settings, runtime.store))
        for job in (*jobs, retention_job(settings, runtime.store)):
            if job is not None:
                runtime.supervisor.add(job)
        runtime.supervisor.start()
    return application.Dispatcher(flask_app, TrackEndpoint(runtime), runtime)
