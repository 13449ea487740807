"""Read-side lookups of the catalogue that many pages share (the client filter, for one)."""

from __future__ import annotations

from sqlalchemy import select

from console.extensions import db
from console.models import Client


def clients() -> list[Client]:
    """Every client, by name: the choices of a "Client" filter."""
    return list(db.session.scalars(select(Client).order_by(Client.name)))
