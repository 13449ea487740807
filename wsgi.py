"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi`."""

import gc

from console import create_app
from console.jobs import start_inline_scheduler

app = create_app()
# What start-up built (modules, models, templates, catalogues) lives as long as the worker: keep
# it out of the collector's full passes, which otherwise walk all of it and stall a request.
gc.freeze()

if not app.config["REDIS_URL"]:
    # Embedded default: periodic work runs here instead of in `flask cron` + `flask worker`.
    start_inline_scheduler(app)
