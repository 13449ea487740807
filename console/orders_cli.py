"""``flask orders import FILE``: orders from a client's system, through the same reader and row
loop as Admin → Orders → Import (``services.orders.imports``)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from console.extensions import db
from console.models import Client
from console.services.orders import imports


@click.group("orders")
def orders() -> None:
    """Completed orders: the parents of the follow-up calls."""


@orders.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--client",
    "client_key",
    metavar="KEY",
    help="The client of every row (for files without a client column).",
)
@click.option(
    "--batch-size", default=imports.BATCH_SIZE, show_default=True, help="Rows per commit."
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing.")
@with_appcontext
def import_orders(path: str, client_key: str | None, batch_size: int, dry_run: bool) -> None:
    """Import a CSV (UTF-8 or Windows-1251; comma, semicolon or tab) or XLSX file of completed
    orders, header on the first line.

    Columns: client, external_id, phone, work_type, completed_at, amount (required; client
    not with --client); customer_name (required for a new customer), customer_external_id,
    customer_email, technician, description, vehicle_make_model, vehicle_plate, vehicle_vin,
    vehicle_mileage_km, address, qc_breakin_advice, qc_declined_repairs. Russian and English
    header names are recognised ("Телефон", "Дата закрытия"...); with --client, the columns that
    client last chose in the browser for this layout are used.

    Each bad row is reported as "line N, field: message"; the good ones are stored. An order
    already stored (same client and external_id) is skipped, so a file can be imported again.
    Exits with status 1 when any row was rejected.
    """
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    client = None
    if client_key:
        client = db.session.scalar(select(Client).where(Client.key == client_key))
        if client is None:
            raise click.BadParameter(f"no client with the key {client_key}", param_hint="--client")
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            report = imports.import_path(
                path,
                client=client,
                dry_run=dry_run,
                batch_size=batch_size,
            )
        except imports.ImportRefused as exc:
            click.echo(str(exc.args[0]), err=True)
            raise SystemExit(1) from None
        for error in report.errors:
            click.echo(error, err=True)
    verb = "would be imported" if dry_run else "imported"
    click.echo(
        f"{report.created} {verb}, {report.existing} already there, "
        f"{report.rejected_rows} rejected; {report.repeat_repairs} possible repeat repair(s), "
        f"{report.blocked_technician} for blocked technicians (listed for QC)."
    )
    if report.errors:
        raise SystemExit(1)
