"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi`."""

from console import create_app
from console.jobs import start_inline_scheduler

app = create_app()

if not app.config["REDIS_URL"]:
    # Embedded default: periodic work runs here instead of in `flask cron` + `flask worker`.
    start_inline_scheduler(app)
