"""``flask api-token ...``: tokens for other systems to use the JSON API (``/api/v1``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from console.extensions import db
from console.models import ApiToken
from console.services import api_tokens


@click.group("api-token")
def api_token() -> None:
    """Tokens of the JSON API (also under Admin → API tokens)."""


@api_token.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(api_tokens.ISSUABLE),
    help="What the token may do; repeat for several. "
    + "; ".join(f"{scope}: {text}" for scope, text in api_tokens.SCOPES.items())
    + ".",
)
@with_appcontext
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Make a token; it is printed once, on the last line, and never shown again."""
    try:
        made = api_tokens.create_token(name, scopes)
    except api_tokens.TokenRefused as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"Token {made.token.prefix}… for {made.token.name} ({', '.join(made.token.scopes)}). "
        "Keep it now: it is not stored and cannot be shown again."
    )
    click.echo(made.secret)


@api_token.command("list")
@with_appcontext
def list_tokens() -> None:
    """Every token: prefix, name, scopes, last use, state."""
    for token in api_tokens.all_tokens():
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.prefix}  {token.name}  {','.join(token.scopes)}  {used}  {state}")


@api_token.command("revoke")
@click.argument("prefix")
@with_appcontext
def revoke(prefix: str) -> None:
    """Refuse the token with this prefix (as ``list`` shows it) from now on."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None:
        raise click.ClickException(f"no token {prefix}")
    if api_tokens.revoke(token):
        db.session.commit()
        click.echo(f"revoked {token.prefix} ({token.name})")
    else:
        click.echo(f"{token.prefix} was already revoked")
