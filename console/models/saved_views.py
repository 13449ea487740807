"""Saved views of the QC inbox, and who has a complaint page open.

``SavedInboxView``: a person's named filter and sort of the inbox, kept as the query string the
inbox reads (``services.complaints.saved_views`` validates it before it is stored). A
supervisor may share one with the whole QC team.

``ComplaintViewer``: one row per person per complaint page they have open, refreshed by the
page's poll every ~15 s (``services.complaints.presence``). A row not refreshed for a minute
means the page was closed (or its tab hidden): readers ignore it, housekeeping deletes it.
It is a table, not Redis, so the note works in the embedded default without Redis and every
worker sees the same people; each write is one short upsert of one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, UTCDateTime, utcnow

VIEW_NAME_MAX = 60


class SavedInboxView(db.Model):
    __tablename__ = "saved_inbox_views"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(VIEW_NAME_MAX), nullable=False)
    # The inbox's query string as a dict ({"deadline": "overdue", "client": "3"}), defaults left
    # out: what ``InboxFilter.args()`` gives for the filter and sort, without the page.
    query: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # Listed for every QC user; only its owner or a supervisor may change it.
    shared: Mapped[bool] = mapped_column(default=False, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    owner = relationship("User")


class ComplaintViewer(db.Model):
    __tablename__ = "complaint_viewers"
    # Housekeeping deletes by age.
    __table_args__ = (Index("ix_complaint_viewers_seen_at", "seen_at"),)

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # When they opened the page (this visit: a row seen again after it expired starts anew).
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The last poll that found them typing in one of the page's forms.
    typing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
