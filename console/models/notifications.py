"""Notifications about complaints: an in-app notice per user, and deliveries by email and webhook
sent by background jobs with retries (console.services.notify.notifications)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, UTCDateTime, enum_column


class NotificationKind(StrEnum):
    NEW_COMPLAINT = "new_complaint"
    DUE_SOON = "due_soon"  # a deadline comes close: the assignee is warned
    OVERDUE = "overdue"  # a deadline was missed: the supervisor is told
    ASSIGNED = "assigned"  # a complaint was handed to this person
    CUSTOMER_EMAIL = "customer_email"  # QC wrote to the customer from the complaint


class Notification(db.Model):
    """One in-app notice for one user; shown without reloading until read."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind), nullable=False)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    complaint = relationship("Complaint")


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; shown to admins, can be retried by hand


class NotificationDelivery(db.Model):
    """One message to one address (an email) or endpoint (a webhook), kept whatever happens to it:
    every attempt's error is recorded, nothing is dropped."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel), nullable=False)
    target: Mapped[str] = mapped_column(String(500), nullable=False)  # an address or a URL
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind), nullable=False)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False)  # the body / the JSON sent
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING, nullable=False
    )
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint = relationship("Complaint")
