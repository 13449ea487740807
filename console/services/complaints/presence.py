"""Who else has a complaint page open, so two people don't work the same complaint unawares.

The page polls every ~15 s while its tab is visible (``static/complaint_presence.js``); each
poll is one upsert of the person's row (``here``), committed at once, then the reads. A row not
refreshed within ``FRESH`` means the page was closed or its tab hidden: it no longer counts and
housekeeping deletes it later (``forget_old``). Leaving the page deletes it at once (``leave``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from console.extensions import db
from console.models import ComplaintEvent, ComplaintViewer, User

# Seen within this long: the page is still open (the poll comes every ~15 s).
FRESH = timedelta(seconds=60)
# Typing at the last poll or the one before.
TYPING_FRESH = timedelta(seconds=35)
# Rows older than this are deleted by housekeeping.
KEEP = timedelta(hours=1)


@dataclass(frozen=True)
class Viewer:
    name: str
    since: datetime
    typing: bool


@dataclass(frozen=True)
class Change:
    """The latest change to the complaint by someone else than the reader."""

    event_id: int
    name: str
    at: datetime


def here(complaint_id: int, user_id: int, *, typing: bool, now: datetime) -> None:
    """Record that ``user_id`` has the complaint open now: one statement, whichever database.
    A row that had expired starts a new visit (``since`` is now)."""
    table = ComplaintViewer.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    values = {
        "complaint_id": complaint_id,
        "user_id": user_id,
        "since": now,
        "seen_at": now,
        "typing_at": now if typing else None,
    }
    insert = dialect.insert(table).values(**values)
    fresh = table.c.seen_at >= now - FRESH
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.complaint_id, table.c.user_id],
        set_={
            "since": case((fresh, table.c.since), else_=insert.excluded.since),
            "seen_at": insert.excluded.seen_at,
            "typing_at": insert.excluded.typing_at if typing else table.c.typing_at,
        },
    )
    db.session.execute(statement)


def leave(complaint_id: int, user_id: int) -> None:
    db.session.execute(
        delete(ComplaintViewer).where(
            ComplaintViewer.complaint_id == complaint_id, ComplaintViewer.user_id == user_id
        )
    )


def others(complaint_id: int, user_id: int, *, now: datetime) -> list[Viewer]:
    """The other people who have the complaint open now, who came first first."""
    rows = db.session.execute(
        select(User.name, ComplaintViewer.since, ComplaintViewer.typing_at)
        .join(User, User.id == ComplaintViewer.user_id)
        .where(
            ComplaintViewer.complaint_id == complaint_id,
            ComplaintViewer.user_id != user_id,
            ComplaintViewer.seen_at >= now - FRESH,
        )
        .order_by(ComplaintViewer.since, User.name)
    )
    return [
        Viewer(name, since, typing_at is not None and typing_at >= now - TYPING_FRESH)
        for name, since, typing_at in rows
    ]


def latest_event_id(complaint_id: int) -> int:
    found = db.session.scalar(
        select(func.max(ComplaintEvent.id)).where(ComplaintEvent.complaint_id == complaint_id)
    )
    return found or 0


def changed_by_others(complaint_id: int, user_id: int, *, after_event: int) -> Change | None:
    """The latest line a colleague added to the complaint's timeline after ``after_event`` (the
    last one the reader's page showed), or None. The system's lines (deadline warnings) and the
    reader's own don't count."""
    row = db.session.execute(
        select(ComplaintEvent.id, User.name, ComplaintEvent.at)
        .join(User, User.id == ComplaintEvent.actor_id)
        .where(
            ComplaintEvent.complaint_id == complaint_id,
            ComplaintEvent.id > after_event,
            ComplaintEvent.actor_id != user_id,
        )
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    ).first()
    return Change(*row) if row else None


def forget_old(now: datetime) -> int:
    """Delete the rows of pages closed long ago (they no longer count anyway)."""
    result = db.session.execute(delete(ComplaintViewer).where(ComplaintViewer.seen_at < now - KEEP))
    return result.rowcount
