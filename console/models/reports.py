"""Running totals behind Reports → Overview (``console/services/reports/totals.py``).

``report_hours`` holds, per UTC hour, client and work type, the sums the overview's figures are
made of, so a month is a few thousand small rows instead of a million orders and calls. An hour
whose source rows changed since its totals were counted is listed in ``report_stale_hours``
(written in the same transaction as the change), and a periodic job counts it again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import db
from console.models.base import UTCDateTime


class ReportHour(db.Model):
    """The sums of one UTC hour (hours since 1970-01-01 00:00 UTC) for a client and work type:
    of the calls submitted in it, their answers, and the orders completed in it."""

    __tablename__ = "report_hours"

    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id"), primary_key=True)
    # completed calls (responses) submitted in the hour
    calls: Mapped[int] = mapped_column(default=0)
    scored: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    dissatisfied: Mapped[int] = mapped_column(default=0)
    # answers to questions marked "recommend" (0-10) and "satisfaction" of those calls
    recommend_answers: Mapped[int] = mapped_column(default=0)
    promoters: Mapped[int] = mapped_column(default=0)
    detractors: Mapped[int] = mapped_column(default=0)
    satisfaction_answers: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    # orders completed in the hour, and how far each has got since
    orders: Mapped[int] = mapped_column(default=0)
    repeat_repairs: Mapped[int] = mapped_column(default=0)
    with_task: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)
    surveyed: Mapped[int] = mapped_column(default=0)
    with_complaint: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)


class ReportStaleHour(db.Model):
    """A change to an hour (as in ``ReportHour``) that its totals do not count yet: one row per
    transaction that changed it (rows are only ever added, so writers never wait on each other
    for a mark); the job that counts the hour again deletes the rows it read, and a row added
    meanwhile stays for the next run."""

    __tablename__ = "report_stale_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
