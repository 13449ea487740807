"""Entry point for gunicorn (`gunicorn wsgi:app`), which serves it with its periodic jobs;
`flask` commands run in the project folder load it without them."""

import gc

import click

from console import create_app
from console.jobs import start_inline_scheduler

app = create_app()
# What start-up built (modules, models, templates, catalogues) lives as long as the worker: keep
# it out of the collector's full passes, which otherwise walk all of it and stall a request.
gc.freeze()

# Embedded default: periodic work runs in the served process instead of `flask cron` +
# `flask worker`. Not in a `flask` command that found this file (`flask db upgrade` on a new
# database would run jobs against tables not made yet): click's context says which it is.
if not app.config["REDIS_URL"] and click.get_current_context(silent=True) is None:
    start_inline_scheduler(app)
