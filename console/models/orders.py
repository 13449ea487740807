"""The parent record of a finished job, with what QC needs to remind the customer of."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import Money, TimestampMixin, UTCDateTime, enum_column


class RepeatRepairSource(StrEnum):
    BOOKING = "booking"  # same customer and vehicle/address within 14 days (DOMAIN.md, 000)
    ANSWER = "answer"  # a survey answer marked repeat_repair


class RepeatRepairState(StrEnum):
    POSSIBLE = "possible"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("client_id", "external_id"),
        Index("ix_orders_customer_completed", "customer_id", "completed_at"),
        Index("ix_orders_technician_completed", "technician_id", "completed_at"),
        Index("ix_orders_repeat_state", "repeat_repair_state", "repeat_repair_reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    external_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # The number given on this order (E.164); the customer may have several.
    phone: Mapped[str | None] = mapped_column(String(20))
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id"), nullable=False)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    description: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # A car-repair order has a vehicle; a home-services order has an address.
    vehicle_make_model: Mapped[str | None] = mapped_column(String(120))
    # Not indexed: nothing looks orders up by plate (a repeat repair compares the plates of one
    # customer's orders, spelled loosely); the index cost an import on SQLite 4 us of the
    # ~170 us a row took.
    vehicle_plate: Mapped[str | None] = mapped_column(String(20))
    vehicle_vin: Mapped[str | None] = mapped_column(String(17))
    vehicle_mileage_km: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(300))
    # QC notes shown before the call (DOMAIN.md, 001).
    qc_breakin_advice: Mapped[str | None] = mapped_column(Text)
    qc_declined_repairs: Mapped[str | None] = mapped_column(Text)
    # "Possible repeat repair": set by the system only, never edited by hand (DOMAIN.md, 000).
    repeat_repair_state: Mapped[RepeatRepairState | None] = mapped_column(
        enum_column(RepeatRepairState)
    )
    repeat_repair_source: Mapped[RepeatRepairSource | None] = mapped_column(
        enum_column(RepeatRepairSource)
    )
    repeat_of_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    repeat_repair_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The review (a commission decides, DOMAIN.md 000): cause and the responsible technician.
    repeat_repair_cause: Mapped[str | None] = mapped_column(String(64))
    repeat_repair_responsible_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    repeat_repair_note: Mapped[str | None] = mapped_column(Text)
    repeat_repair_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repeat_repair_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the order arrived for a technician who was already blocked (anti-poaching);
    # QC follows it up with the client and marks it handled, with what was done.
    blocked_technician_flag: Mapped[bool] = mapped_column(default=False, nullable=False)
    blocked_flag_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_flag_handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    blocked_flag_note: Mapped[str | None] = mapped_column(Text)

    client = relationship("Client")
    customer = relationship("Customer")
    work_type = relationship("WorkType")
    technician = relationship("Technician", foreign_keys=[technician_id])
    repeat_repair_responsible = relationship(
        "Technician", foreign_keys=[repeat_repair_responsible_id]
    )
    repeat_repair_reviewed_by = relationship("User", foreign_keys=[repeat_repair_reviewed_by_id])
    blocked_flag_handled_by = relationship("User", foreign_keys=[blocked_flag_handled_by_id])
    repeat_of = relationship("Order", remote_side=[id])

    def __repr__(self) -> str:
        return f"<Order {self.external_id}>"
