"""The floor: a bare Flask app whose one page renders a Jinja template to exactly as many bytes
as the call screen (no database, no sign-in, no extensions). Whatever the console does on top
of that is the cost of the call screen itself."""

from __future__ import annotations

from flask import Flask, render_template, render_template_string
from jinja2 import DictLoader

ROWS = 40

_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<main>
<h1>{{ title }}</h1>
<table>
{% for row in rows %}<tr><td>{{ row.n }}</td><td>{{ row.label }}</td><td>{{ row.value }}</td></tr>
{% endfor %}</table>
<!-- {{ filler }} -->
</main>
</body>
</html>
"""


def _context(filler: str) -> dict:
    rows = [{"n": n, "label": f"Question {n}", "value": f"Answer <{n}>"} for n in range(ROWS)]
    return {"title": "Bare page", "rows": rows, "filler": filler}


def make_bare_app(target_bytes: int) -> tuple[Flask, int]:
    """The app, and the byte size its page renders to (``target_bytes`` unless the target is
    smaller than the template without filler)."""
    app = Flask("bare")
    app.jinja_loader = DictLoader({"bare.html": _TEMPLATE})  # compiled once, then cached
    with app.app_context():
        empty = len(render_template_string(_TEMPLATE, **_context("")).encode())
    filler = "x" * max(0, target_bytes - empty)
    context = _context(filler)

    @app.get("/")
    def page():
        return render_template("bare.html", **context)

    with app.test_client() as client:
        size = len(client.get("/").data)
    return app, size
