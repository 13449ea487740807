"""The call list, the attempts on it, and the answers a completed call records."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column


class TaskStatus(StrEnum):
    PENDING = "pending"  # waiting in the list (possibly not due yet, or a callback)
    HELD = "held"  # claimed by an operator under a lease
    DONE = "done"  # closed: see ``outcome``


class CallOutcome(StrEnum):
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"
    CALLBACK = "callback"
    DO_NOT_CALL = "do_not_call"
    UNREACHABLE = "unreachable"  # closed by the system after the maximum attempts
    CANCELLED = "cancelled"  # closed by staff (order withdrawn, duplicate...)
    NOT_SAMPLED = "not_sampled"  # a cheap, frequent job outside the sampled share (DOMAIN, 001)


class CallTask(TimestampMixin, db.Model):
    """One entry of the call list: call this customer about this order, due from ``due_at``.

    ``lease_token`` and ``lease_expires_at`` make a claim exclusive; ``submit_key`` is minted at
    claim time and is unique on ``responses``, so a double-clicked submit saves once.
    """

    __tablename__ = "call_tasks"
    __table_args__ = (
        UniqueConstraint("order_id", "purpose"),
        # The claim query: pending tasks that are due, oldest first.
        Index("ix_call_tasks_claim", "status", "due_at"),
        # Callbacks are claimed first: find them without walking every due task.
        Index(
            "ix_call_tasks_callback_claim", "status", "is_callback", "callback_user_id", "due_at"
        ),
        # A client's next pending task (the start page's "next call at"): one index seek each.
        Index("ix_call_tasks_client_status_due", "client_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), default="follow_up", nullable=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus), default=TaskStatus.PENDING, nullable=False
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    max_attempts: Mapped[int] = mapped_column(default=4, nullable=False)
    # Callbacks come first; "only me" callbacks only for the operator who set them.
    is_callback: Mapped[bool] = mapped_column(default=False, nullable=False)
    callback_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The lease.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submit_key: Mapped[str | None] = mapped_column(String(64))
    # The script version pinned at first claim: edits during a call affect only later calls.
    script_version_id: Mapped[int | None] = mapped_column(ForeignKey("script_versions.id"))
    # Answers ticked so far, autosaved; kept when a lease expires so nothing is lost.
    draft: Mapped[dict | None] = mapped_column(JSONType)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[CallOutcome | None] = mapped_column(enum_column(CallOutcome))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order = relationship("Order")
    client = relationship("Client")
    customer = relationship("Customer")
    held_by = relationship("User", foreign_keys=[held_by_id])
    callback_user = relationship("User", foreign_keys=[callback_user_id])
    script_version = relationship("ScriptVersion")
    attempts_log: Mapped[list[CallAttempt]] = relationship(
        back_populates="task", order_by="CallAttempt.started_at"
    )


class CallAttempt(db.Model):
    """One dial: who called, when, how it ended; linked to the recording when the PBX gives one
    (the telephony API: ``POST /api/v1/calls/events``)."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("call_tasks.id"), nullable=False, index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[CallOutcome | None] = mapped_column(enum_column(CallOutcome))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    # From the telephony provider's events (``services.telephony``): its own id of the call,
    # when the customer picked up, and how long they talked.
    provider_call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    talk_seconds: Mapped[int | None]

    task: Mapped[CallTask] = relationship(back_populates="attempts_log")
    operator = relationship("User")


class Response(db.Model):
    """The answers of one completed call, on the script version they were asked from."""

    __tablename__ = "responses"
    __table_args__ = (
        # The technicians' KPI (console/services/reports/kpi.py) reads each technician's calls
        # of a period here, in technician order, never the wide rows (their score breakdown).
        Index(
            "ix_responses_technician_kpi", "technician_id", "submitted_at", "score", "score_weight"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Enforced by the database: a replayed or double-clicked submit cannot save twice.
    submit_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    task_id: Mapped[int] = mapped_column(ForeignKey("call_tasks.id"), nullable=False, index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempts.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    # The order's technician, copied as the complaint copies it (an order's technician never
    # changes once it is stored): whose KPI the call counts for.
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    script_version_id: Mapped[int] = mapped_column(ForeignKey("script_versions.id"), nullable=False)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # 0-100, or None when nothing scored was answered (not 0).
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # Σ weight of the scored questions (``ScoreResult.weight``), None with no score: the
    # technicians' KPI pools a period's scores by it (console/services/reports/kpi.py).
    score_weight: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # Per question: weight, points, max points, lost share; the KPI page explains scores with it.
    score_breakdown: Mapped[list | None] = mapped_column(JSONType)
    comment: Mapped[str | None] = mapped_column(Text)

    task = relationship("CallTask")
    attempt = relationship("CallAttempt")
    order = relationship("Order")
    script_version = relationship("ScriptVersion")
    operator = relationship("User")
    answers: Mapped[list[ResponseAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class ResponseAnswer(db.Model):
    __tablename__ = "response_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("script_questions.id"), nullable=False)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("script_options.id"))
    text: Mapped[str | None] = mapped_column(Text)  # free comment, or the comment an option asks

    response: Mapped[Response] = relationship(back_populates="answers")
    question = relationship("Question")
    option = relationship("AnswerOption")


class PauseReason(StrEnum):
    BREAK = "break"
    TRAINING = "training"
    TECHNICAL = "technical"


class OperatorPause(db.Model):
    """A pause with its reason and times; an open one (no ``ended_at``) means paused now."""

    __tablename__ = "operator_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    reason: Mapped[PauseReason] = mapped_column(enum_column(PauseReason), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
