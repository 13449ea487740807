"""Who is called for whom: client companies, work types, technicians."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column

# Monday..Sunday -> [start, end] local working time; the SLA clock runs only inside it when the
# client asks for working-time deadlines (issue: QC desk).
DEFAULT_WORKING_HOURS = {str(d): ["09:00", "18:00"] for d in range(5)}


def calling_hours_every_day(start: time, end: time) -> dict:
    """One calling window for every weekday, in the form of ``Client.calling_hours``: equal
    start and end mean round the clock (``["00:00", "24:00"]``); an end before the start runs
    past midnight."""
    if start == end:
        window = ["00:00", "24:00"]
    else:
        window = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return {str(d): list(window) for d in range(7)}


class Client(TimestampMixin, db.Model):
    """A company whose customers we call (DOMAIN.md: "client"); a small shop is its own client."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="Europe/Moscow")
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="RUB")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="RU")
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    # Calling rules (operator console): local hours when customers may be called.
    # Per weekday: {"0": ["09:00", "20:00"], ..., "6": None}, Monday = 0; None or missing: no
    # calls that day; an end before the start runs past midnight (the window belongs to the day
    # it starts); ["00:00", "24:00"] round the clock. The rule: services/calling_hours.py.
    calling_hours: Mapped[dict] = mapped_column(
        JSONType, nullable=False, default=lambda: calling_hours_every_day(time(9), time(20))
    )
    # Days after completion before the follow-up call; None: the work type's or the default.
    call_delay_days: Mapped[int | None]
    # SLA (QC desk): count deadlines in working time only, with these hours and holidays.
    sla_working_time_only: Mapped[bool] = mapped_column(default=False, nullable=False)
    working_hours: Mapped[dict] = mapped_column(
        JSONType, default=lambda: dict(DEFAULT_WORKING_HOURS)
    )

    # The repeat-repair bonus tiers by technician role, e.g. {"mechanic": [10, 0],
    # "shop_master": [10, 5, 0]} (percent for 0, 1, ... repeat repairs; the last for more);
    # None or a role missing: DOMAIN's defaults (console/services/reports/bonus.py).
    repeat_bonus_tiers: Mapped[dict | None] = mapped_column(JSONType)

    # The client's own QC person, whom the QC desk contacts about its complaints.
    qc_contact_name: Mapped[str | None] = mapped_column(String(200))
    qc_contact_email: Mapped[str | None] = mapped_column(String(254))
    qc_contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164

    holidays: Mapped[list[ClientHoliday]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientHoliday.day"
    )

    def __repr__(self) -> str:
        return f"<Client {self.key}>"


class ClientHoliday(db.Model):
    __tablename__ = "client_holidays"
    __table_args__ = (UniqueConstraint("client_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    name: Mapped[str | None] = mapped_column(String(120))

    client: Mapped[Client] = relationship(back_populates="holidays")


class WorkType(TimestampMixin, db.Model):
    """Kind of job; scripts, call delay and sampling differ by work type (DOMAIN.md, 001, 003)."""

    __tablename__ = "work_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    call_delay_days: Mapped[int | None]
    # Cheap frequent jobs (car wash) are sampled, not all called (DOMAIN.md, 001).
    sample_percent: Mapped[int] = mapped_column(default=100, nullable=False)

    def __repr__(self) -> str:
        return f"<WorkType {self.key}>"


class TechnicianStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class TechnicianRole(StrEnum):
    """What a technician answers for (DOMAIN.md, 000): the mechanic (or a marketplace's
    independent master, 003) for the job they did; the shop master for a workshop's work."""

    MECHANIC = "mechanic"
    SHOP_MASTER = "shop_master"


class Technician(TimestampMixin, db.Model):
    """A master or mechanic: does not sign in; the subject of KPI, complaints, fines, blocking."""

    __tablename__ = "technicians"
    __table_args__ = (UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A shop's mechanic belongs to it; a marketplace's independent master has no client.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    role: Mapped[TechnicianRole] = mapped_column(
        enum_column(TechnicianRole), default=TechnicianRole.MECHANIC, nullable=False
    )
    status: Mapped[TechnicianStatus] = mapped_column(
        enum_column(TechnicianStatus), default=TechnicianStatus.ACTIVE, nullable=False
    )
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set while an anti-poaching case against them is open (DOMAIN.md, 003).
    under_review_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client | None] = relationship()

    @property
    def is_blocked(self) -> bool:
        return self.status == TechnicianStatus.BLOCKED

    def __repr__(self) -> str:
        return f"<Technician {self.name} {self.status}>"
