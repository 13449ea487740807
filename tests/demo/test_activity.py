"""Demo activity: finished calls and QC's first steps, made through the real services."""

from __future__ import annotations

from sqlalchemy import func, select

from console.models import Complaint, ComplaintEvent, ComplaintKind, Response, Technician


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_activity_fills_the_qc_desk_once(runner, db):
    assert runner.invoke(args=["seed-demo", "--orders", "300"]).exit_code == 0
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
    # The anti-poaching process is there to see: a case, its technician under review.
    case = db.session.scalar(select(Complaint).where(Complaint.kind == ComplaintKind.POACHING))
    assert case is not None and "anti-poaching" in result.output
    assert db.session.get(Technician, case.technician_id).under_review_since is not None
    # QC has begun on some: they are assigned, with the step in their timeline.
    assert db.session.scalar(
        select(func.count()).select_from(ComplaintEvent).where(ComplaintEvent.kind == "assigned")
    )

    again = runner.invoke(args=["seed-demo-activity", "--calls", "30"])
    assert again.exit_code == 0
    assert "no activity added" in again.output
    assert (_count(db, Response), _count(db, Complaint)) == (responses, complaints)
