"""Writing to the customer from the complaint: the email templates of each client in each
language, the emails sent (each one a notification delivery, logged as the customer contact),
and the canned replies QC inserts into what they write (console.services.customer_emails)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import UTCDateTime


class CustomerEmailTemplate(db.Model):
    """A client's email to its customers in one language: the subject and the text around the
    message QC writes, with placeholders ({customer_name}, {message}...). Without one, the
    console's default text in that language is used."""

    __tablename__ = "customer_email_templates"
    __table_args__ = (UniqueConstraint("client_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client = relationship("Client")
    updated_by = relationship("User")


class CustomerEmail(db.Model):
    """One email to the customer from a complaint: what QC wrote and to whom, the delivery that
    sends it, and the contact it was logged as. ``send_key`` is minted with the form and unique,
    so a double-clicked or resent Send is saved once."""

    __tablename__ = "customer_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    send_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id"), nullable=False, index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_events.id"))
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    target: Mapped[str] = mapped_column(String(254), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    delivery = relationship("NotificationDelivery")


class CannedReply(db.Model):
    """A ready text for the contact summary, a note or an email to the customer, in one
    language; for every client or for one. Supervisors and admins keep the list."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_active_position", "active", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)  # smaller first
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client = relationship("Client")
