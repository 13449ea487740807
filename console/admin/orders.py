"""Admin → Orders → Import: upload a CSV or XLSX file of orders, choose which column is which
field (guessed from the headers, remembered per client), then watch the import run as a job and
get every rejected row as "line N, field: message" and as a CSV to fix and upload again.

The rules are ``services.orders`` (``files`` reads, ``columns`` maps, ``imports`` runs);
``console.jobs.imports`` runs the job. The upload may be up to ``imports.MAX_FILE_BYTES``
(50 MB): this view alone lifts the app's body limit (``accepts_large_body``).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField

from console.access import roles_required
from console.admin import bp
from console.bad_input import accepts_large_body
from console.extensions import db, htmx
from console.forms import ConfirmForm
from console.ids import optional_id
from console.jobs import imports as import_jobs
from console.models import Client, ImportRun, ImportStatus, Role
from console.services.orders import columns, imports
from console.services.orders.intake import FIELDS


def _client_choices() -> list[tuple[str, str]]:
    clients = db.session.scalars(select(Client).order_by(Client.name)).all()
    return [("", str(_l("The file names the client of each row")))] + [
        (str(c.id), f"{c.name} ({c.key})") for c in clients
    ]


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])
    client = SelectField(_l("Client"), validate_choice=False)


def _chosen_client(raw) -> Client | None:
    client_id = optional_id(raw)
    return db.session.get(Client, client_id) if client_id else None


@bp.route("/orders/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@accepts_large_body(imports.MAX_FILE_BYTES + 1024 * 1024)
def orders_import():
    form = UploadForm()
    form.client.choices = _client_choices()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run = imports.upload(
                upload.filename,
                upload.read(imports.MAX_FILE_BYTES + 1),
                client=_chosen_client(form.client.data),
                by=current_user,
                locale=str(get_locale() or ""),
            )
        except imports.ImportRefused as exc:
            form.file.errors = [str(exc.args[0])]
            status = 422
        else:
            db.session.commit()
            return redirect(url_for("admin.orders_import_columns", run_id=run.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "admin/orders/import.html",
            form=form,
            runs=imports.recent_runs(),
            max_mb=imports.MAX_FILE_BYTES // (1024 * 1024),
            max_rows=imports.MAX_ROWS,
        ),
        status,
    )


@bp.route("/orders/import/<int:run_id>/columns", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def orders_import_columns(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    if run.status != ImportStatus.UPLOADED:
        return redirect(url_for("admin.orders_import_run", run_id=run.id))
    form = ConfirmForm()
    problems: list[str] = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        client = _chosen_client(request.form.get("client"))
        mapping = [request.form.get(f"column-{i}") or None for i in range(len(run.headers))]
        problems = imports.queue(run, mapping, client)
        if not problems:
            db.session.commit()
            import_jobs.start(run.id)
            return redirect(url_for("admin.orders_import_run", run_id=run.id))
        chosen_client_id = client.id if client else None
    else:
        client = db.session.get(Client, run.client_id) if run.client_id else None
        mapping = imports.suggested_mapping(run, client)
        chosen_client_id = run.client_id
    return (
        render_template(
            "admin/orders/columns.html",
            run=run,
            form=form,
            mapping=mapping,
            problems=problems,
            fields=[(f, columns.LABELS[f]) for f in FIELDS],
            clients=_client_choices(),
            chosen_client_id=str(chosen_client_id or ""),
            columns_shown=list(zip(run.headers, mapping, strict=True)),
        ),
        422 if problems else 200,
    )


@bp.get("/orders/import/<int:run_id>")
@roles_required(Role.ADMIN)
def orders_import_run(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    if run.status == ImportStatus.UPLOADED:
        return redirect(url_for("admin.orders_import_columns", run_id=run.id))
    context = {
        "run": run,
        "percent": imports.progress_percent(run),
        "rejections": imports.rejections(run) if run.finished else [],
        "shown_limit": imports.SHOWN_REJECTIONS,
    }
    if htmx:  # the page's poll: the progress panel alone
        return render_template("admin/orders/_progress.html", **context)
    return render_template("admin/orders/run.html", **context)


@bp.get("/orders/import/<int:run_id>/rejected.csv")
@roles_required(Role.ADMIN)
def orders_import_rejected(run_id: int):
    run = db.get_or_404(ImportRun, run_id)
    if not run.finished:
        flash(_("The import is still running."), "info")
        return redirect(url_for("admin.orders_import_run", run_id=run.id))
    stem = run.filename.rsplit(".", 1)[0] or "orders"
    charset = "windows-1251" if imports.rejected_encoding(run) == "cp1251" else "utf-8"
    return Response(
        stream_with_context(imports.rejected_csv(run)),  # it reads the rows as it goes
        headers={
            "Content-Type": f"text/csv; charset={charset}",
            "Content-Disposition": _attachment(f"{stem}-rejected.csv"),
        },
    )


def _attachment(name: str) -> str:
    """A download's file name, for every browser: an ASCII fallback and the UTF-8 name."""
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_." else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
