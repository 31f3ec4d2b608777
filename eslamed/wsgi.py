"""WSGI entry point for gunicorn: `eslamed.wsgi:app`.

Each worker imports this once. What exists by then (modules, regexes, the app) lives as long
as the worker, so it is frozen out of the cyclic garbage collector: otherwise every full
collection walks those objects again, about a tenth of a worker's CPU at full load.
"""

import gc

from eslamed.app import create_app

app = create_app()
gc.freeze()
