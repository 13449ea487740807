"""What the filters of the QC inbox offer (who complaints can be given to), and the
complaints a bulk action picks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from console.extensions import db
from console.models import Complaint, Role, User


def assignable_users() -> list[User]:
    """Who complaints can be given to from the inbox: active QC staff and supervisors."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_((Role.QC, Role.SUPERVISOR)))
            .order_by(User.name)
        )
    )


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    ids = {int(i) for i in ids}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def complaints_by_ids(ids: Iterable[int]) -> list[Complaint]:
    """The selected complaints of a bulk action, in number order, locked on PostgreSQL for
    the transaction (a colleague acting at the same moment waits, then sees the result)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    query = select(Complaint).where(Complaint.id.in_(ids)).order_by(Complaint.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(db.session.scalars(query))
