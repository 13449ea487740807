"""``flask orders import FILE.csv``: orders from a client's system, through the order intake."""

from __future__ import annotations

import io

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from console.extensions import db
from console.services.orders.intake import import_orders_csv


@click.group("orders")
def orders() -> None:
    """Completed orders: the parents of the follow-up calls."""


@orders.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch-size", default=500, show_default=True, help="Orders per commit.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing.")
@with_appcontext
def import_orders(path: str, batch_size: int, dry_run: bool) -> None:
    """Import a CSV file of completed orders (header on the first line).

    Columns: client, external_id, phone, work_type, completed_at, amount (required);
    customer_name (required for a new customer), customer_external_id, customer_email,
    technician, description, vehicle_make_model, vehicle_plate, vehicle_vin,
    vehicle_mileage_km, address, qc_breakin_advice, qc_declined_repairs.

    Each bad row is reported by line and field; the good ones are stored. An order already
    stored (same client and external_id) is skipped, so a file can be imported again. Exits
    with status 1 when any row was rejected.
    """
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            text = file.read()  # decoded whole first: a bad byte stops nothing half-way
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f'{path} is not UTF-8 text (byte {exc.start}): save it as "CSV UTF-8"'
        ) from None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        report = import_orders_csv(
            io.StringIO(text, newline=""),
            batch_size=batch_size,
            on_batch=None if dry_run else db.session.commit,
        )
        for error in report.errors:
            click.echo(str(error), err=True)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be imported" if dry_run else "imported"
    click.echo(
        f"{report.created} {verb}, {report.existing} already there, "
        f"{report.rejected_rows} rejected; {report.repeat_repairs} possible repeat repair(s), "
        f"{report.blocked_technician} for blocked technicians (listed for QC)."
    )
    if report.errors:
        raise SystemExit(1)
