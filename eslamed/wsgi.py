"""WSGI entry point for gunicorn: `eslamed.wsgi:app`."""

from eslamed.app import create_app

app = create_app()
