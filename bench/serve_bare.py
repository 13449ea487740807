"""WSGI entry for the load test's floor (``gunicorn bench.serve_bare:app``): the bare Flask page
of ``bench.bare`` at its smallest, no database, no sign-in. Served by the same gunicorn and asked
by the same load generator as the console, it is the most requests per second this machine,
this server and this client can do at all, and their latency when nothing else is going on."""

from __future__ import annotations

from bench.bare import make_bare_app

app, PAGE_BYTES = make_bare_app(0)
