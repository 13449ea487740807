"""``flask`` commands: demo data, users, and the background worker processes."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import Worker
from rq.cron import CronScheduler

from console.api_cli import api_token
from console.demo import calls as demo_calls
from console.demo import seed as demo
from console.demo.seed import DEMO_PASSWORD, DEMO_USERS
from console.extensions import db
from console.jobs import DEFAULT_QUEUE, PERIODIC, resolve
from console.models import Role
from console.orders_cli import orders
from console.services.auth import create_user as create
from console.services.calls.generate import generate_due_calls
from console.services.scripts import library as script_service


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_demo_activity)
    app.cli.add_command(create_user)
    app.cli.add_command(worker)
    app.cli.add_command(cron)
    app.cli.add_command(demo_logins)
    app.cli.add_command(scripts)
    app.cli.add_command(calls)
    app.cli.add_command(orders)
    app.cli.add_command(api_token)
    app.cli.add_command(reports)


@click.command("seed-demo")
@click.option("--orders", default=600, show_default=True, help="How many orders to generate.")
@click.option(
    "--days",
    default=demo.DEMO_DAYS,
    show_default=True,
    help="Orders completed over this many days before today.",
)
@click.option("--seed", default=1, show_default=True, help="Random seed: same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@with_appcontext
def seed_demo(orders: int, days: int, seed: int, if_empty: bool) -> None:
    """Fill the database with a deterministic, realistic demo (idempotent)."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("refused: demo data is never loaded in production")
    if if_empty and not demo.database_is_empty():
        click.echo("The database already has data; demo not loaded.")
        return
    summary = demo.seed_demo(orders=orders, seed=seed, days=days)
    db.session.commit()
    click.echo(summary)


@click.command("seed-demo-activity")
@click.option(
    "--calls",
    "per_day",
    default=demo_calls.PER_DAY,
    show_default=True,
    help="The most calls the demo's desk makes in a day.",
)
@click.option("--seed", default=1, show_default=True, help="Random seed: same seed, same calls.")
@with_appcontext
def seed_demo_activity(per_day: int, seed: int) -> None:
    """The desk's weeks of calls, QC's work on their complaints, reviewed repeat repairs
    (once)."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("refused: demo data is never loaded in production")
    if demo_calls.has_activity():
        click.echo("The demo already has finished calls; no activity added.")
        return
    click.echo(demo_calls.seed_activity(per_day, seed))


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo users' sign-in details."""
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, role, *_ in DEMO_USERS:
        click.echo(f"  {role:<10} {email}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["operator", "qc", "admin", "supervisor"]), required=True)
@click.password_option()
@with_appcontext
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Add a user (the first admin of a production install)."""
    user = create(email=email, name=name, password=password, role=Role(role))
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """An RQ worker with its scheduler (needs REDIS_URL)."""
    if current_app.task_queue is None:
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    # Each job runs in a forked child: it must not inherit the parent's database connections.
    db.engine.dispose()
    Worker([current_app.task_queue], connection=current_app.redis).work(
        burst=burst, with_scheduler=True
    )


@click.command("cron")
@with_appcontext
def cron() -> None:
    """Enqueue the periodic jobs on schedule (run one of these per deployment; needs REDIS_URL)."""
    if current_app.redis is None:
        raise click.ClickException("REDIS_URL is not set: periodic jobs run inside the web process")
    scheduler = CronScheduler(connection=current_app.redis, name="console-cron")
    for periodic in PERIODIC:
        scheduler.register(
            resolve(periodic.func),
            DEFAULT_QUEUE,
            interval=periodic.interval,
            job_timeout=periodic.timeout,
        )
    scheduler.start()


@click.group("scripts")
def scripts() -> None:
    """Call scripts defined in YAML files (scripts_config/)."""


@scripts.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@with_appcontext
def scripts_load(paths: tuple[str, ...]) -> None:
    """Validate the files and publish each changed one as a new version (all or nothing)."""
    try:
        results = script_service.load_files(list(paths))
    except script_service.ScriptFilesInvalid as exc:
        db.session.rollback()
        for line in exc.lines:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(exc.lines)} problem(s); nothing was loaded") from None
    db.session.commit()
    for result in results:
        state = f"published version {result.version}" if result.version else "unchanged"
        click.echo(f"{result.key}: {state} ({result.path})")


@scripts.command("export")
@click.argument("key")
@with_appcontext
def scripts_export(key: str) -> None:
    """Print a script's current version as YAML (it loads back to the same script)."""
    try:
        click.echo(script_service.export_yaml(key), nl=False)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("calls")
def calls() -> None:
    """The call list."""


@calls.command("generate")
@with_appcontext
def calls_generate() -> None:
    """Add a follow-up call for every recently completed order that has none (idempotent)."""
    click.echo(generate_due_calls())


@click.group("reports")
def reports() -> None:
    """Reports' running totals."""


@reports.command("recount")
@with_appcontext
def reports_recount() -> None:
    """Count the overview's running totals again from every order and call (after a restore,
    or to fill them at once after the upgrade instead of waiting for the periodic job)."""
    from console.services.reports import totals

    hours = totals.recount()
    click.echo(f"{hours} hours counted.")
