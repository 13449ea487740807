"""The people we call, with their phones in E.164."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import TimestampMixin, UTCDateTime


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    birthday: Mapped[datetime | None] = mapped_column(db.Date)
    do_not_call: Mapped[bool] = mapped_column(default=False, nullable=False)
    do_not_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)

    client = relationship("Client")
    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="(CustomerPhone.is_primary.desc(), CustomerPhone.id)",
    )

    @property
    def primary_phone(self) -> str | None:
        return self.phones[0].e164 if self.phones else None

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"


class CustomerPhone(db.Model):
    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # Indexed for "search by phone" in the QC inbox and for matching imports to customers.
    e164: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    label: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(default=False, nullable=False)

    customer: Mapped[Customer] = relationship(back_populates="phones")
