"""Demo activity: finished calls and QC's first steps, made through the real services."""

from __future__ import annotations

from sqlalchemy import func, select

from console.models import (
    ActionKind,
    CallAttempt,
    CallOutcome,
    Complaint,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
    Response,
    Technician,
)
from console.services.complaints.status import OPEN


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_activity_fills_the_qc_desk_once(runner, db):
    assert runner.invoke(args=["seed-demo", "--orders", "200"]).exit_code == 0
    assert runner.invoke(args=["scripts", "load", "scripts_config/base.yaml"]).exit_code == 0
    assert runner.invoke(args=["calls", "generate"]).exit_code == 0

    result = runner.invoke(args=["seed-demo-activity", "--calls", "30"])
    assert result.exit_code == 0, result.output
    assert "complaints" in result.output
    responses, complaints = _count(db, Response), _count(db, Complaint)
    assert responses > 0 and complaints > 0
    # Every complaint was made by a submitted call: the frozen order copy and the answers.
    for complaint in db.session.scalars(select(Complaint)):
        assert complaint.response_id is not None
        assert complaint.snapshot["customer"]["name"]
        assert complaint.snapshot["answers"]
    # The anti-poaching process is there to see: each case's technician under review while it
    # is open, blocked and charged the order's cost when it was confirmed.
    cases = db.session.scalars(
        select(Complaint).where(Complaint.kind == ComplaintKind.POACHING)
    ).all()
    assert cases and "anti-poaching" in result.output
    for case in cases:
        technician = db.session.get(Technician, case.technician_id)
        if case.status in OPEN:
            assert technician.under_review_since is not None
        elif case.status == ComplaintStatus.RESOLVED:
            assert technician.is_blocked
            (refund,) = [a for a in case.actions if a.kind == ActionKind.REFUND]
            assert refund.charged_technician_id == technician.id
            assert refund.amount == case.order.amount
    # QC has worked on them: assigned, answered, decided, with each step in the timeline.
    steps = dict(
        db.session.execute(
            select(ComplaintEvent.kind, func.count()).group_by(ComplaintEvent.kind)
        ).all()
    )
    assert steps["assigned"] and steps["contact"] and steps["classified"]
    # Calls that did not end in a survey: no answer, busy, callbacks...
    outcomes = set(db.session.scalars(select(CallAttempt.outcome).distinct()))
    assert {CallOutcome.COMPLETED, CallOutcome.NO_ANSWER, CallOutcome.CALLBACK} <= outcomes

    again = runner.invoke(args=["seed-demo-activity", "--calls", "30"])
    assert again.exit_code == 0
    assert "no activity added" in again.output
    assert (_count(db, Response), _count(db, Complaint)) == (responses, complaints)
