"""Record who changed what, and from where, in the append-only audit log."""

from __future__ import annotations

from typing import Any

from console.extensions import db
from console.models import AuditEntry, utcnow

_ADDRESS = "audit.address"  # Session.info key, see from_address()


def from_address(ip: str | None) -> None:
    """Entries recorded in this unit of work (the session) that give no address of their own
    name ``ip``: the app passes the client's address once per request; jobs and commands
    pass none, so their entries name none."""
    db.session.info[_ADDRESS] = ip


def record(
    action: str,
    *,
    actor=None,
    entity: Any = None,
    details: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (the caller commits with the change it describes)."""
    if ip is None:
        ip = db.session.info.get(_ADDRESS)
    # ``current_user`` is a proxy: the row names the model behind it, not the proxy's class.
    unwrap = getattr(entity, "_get_current_object", None)
    if unwrap is not None:
        entity = unwrap()
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None)
        if actor is not None and actor.is_authenticated
        else None,
        action=action,
        entity_type=type(entity).__name__ if entity is not None else None,
        entity_id=str(entity.id) if entity is not None else None,
        details=details,
        ip=ip,
    )
    db.session.add(entry)
    return entry


def changes(obj, fields: list[str], new_values: dict) -> dict:
    """``{"field": [old, new]}`` for the fields whose value differs, as JSON-safe strings."""
    out = {}
    for field in fields:
        if field in new_values and getattr(obj, field) != new_values[field]:
            out[field] = [_plain(getattr(obj, field)), _plain(new_values[field])]
    return out


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
