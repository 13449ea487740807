"""The technicians' KPI for a month (Reports -> Technicians) at 5,000,000 answers and 1,000
technicians, against a bare query that reads the same rows.

Data, added to the run's working copy with SQLAlchemy Core in batches (the cached data set is
left alone): ``--kpi-technicians`` technicians (1,000; one in ten a shop master, a third of
them a client's, the rest independent) to whom the orders are dealt in turn; for last month
(UTC) and the month before it, ``--kpi-answers`` answers each (5,000,000; 6 or 7 per call as
the base script is answered, so about 780,000 calls a month) on the base script's published
version, drawn from 24 answer patterns scored by the real formula (``console.scripts.scoring``:
score and breakdown stored as a submitted call stores them); 2 % of the orders confirmed as
repeat repairs last month with their technician responsible; a fine on every complaint of last
month that the inbox benchmark made. On PostgreSQL the tables are then ``VACUUM ANALYZE``d, as
autovacuum would; SQLite gets ``ANALYZE``.

``kpi_period_ms``: ``console.services.reports.kpi.technician_kpi(last month)`` in an app
context, the median of the measured rounds (each round every statement of the report:
surveys, the pooled score of the month and of the month before, complaints, repeat repairs,
fines and refunds, the technicians). ``floor``: the bare read of the same answer rows, the
calls of the month and of the month before joined to their answers and options with one SUM
each (what any KPI over them must at least read); ``ratio`` = value ÷ floor. Beside it
``explain_ms``: one technician's explanation page's statements (``kpi.explain``).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import emit, log, make_app

SEED = 1
BATCH = 10_000
PATTERNS = 24
REPEAT_SHARE = 0.02


def _month(now: datetime):
    from console.services.reports.periods import last_month

    return last_month(now.date(), ZoneInfo("UTC"))


def _patterns(definition: dict, version_id: int, rng: random.Random) -> list[dict]:
    """Answer patterns of the base script: which options, and the score they give."""
    from console.extensions import db
    from console.models import AnswerOption, Question
    from console.scripts import scoring

    ids = {
        (q.key, o.key): (q.id, o.id)
        for q, o in db.session.execute(
            sa.select(Question, AnswerOption)
            .join(AnswerOption, AnswerOption.question_id == Question.id)
            .where(Question.version_id == version_id)
        ).all()
    }
    out = []
    for _ in range(PATTERNS):
        answers: dict[str, dict] = {}
        for question in definition["questions"]:
            shown = {q["key"] for q in scoring.shown_questions(definition, answers)}
            if question["key"] not in shown or not question["options"]:
                continue
            options = [o["key"] for o in question["options"]]
            best = options[0] if question["kind"] != "scale" else options[-1]
            pick = best if rng.random() < 0.7 else rng.choice(options)
            if question["key"] == "contacts":
                pick = "no"
            answers[question["key"]] = {"options": [pick]}
        evaluation = scoring.evaluate(definition, answers)
        chosen = [
            ids[(key, option)]
            for key in evaluation.visible
            for option in (answers.get(key) or {}).get("options", [])
        ]
        out.append(
            {
                "answers": chosen,
                "score": evaluation.score.score,
                "weight": evaluation.score.weight,
                "breakdown": [row.as_json() for row in evaluation.score.breakdown],
            }
        )
    return out


def add_kpi_data(url: str, *, answers: int, technicians: int) -> dict:
    """Technicians, a month's calls with their answers (and the month before), repeat repairs
    and fines; returns what was added."""
    from console.extensions import db
    from console.models import (
        ActionKind,
        CallScript,
        CallTask,
        Client,
        Complaint,
        ComplaintAction,
        Order,
        RepeatRepairSource,
        RepeatRepairState,
        Response,
        ResponseAnswer,
        Role,
        Technician,
        TechnicianRole,
        User,
    )
    from console.services.scripts.library import definition_of

    started = time.perf_counter()
    rng = random.Random(f"{SEED}/kpi")
    now = datetime.now(UTC).replace(microsecond=0)
    month = _month(now)
    app = make_app(url)
    with app.app_context():
        conn = db.session.connection()
        clients = list(db.session.scalars(sa.select(Client.id).order_by(Client.id)))
        first_tech = (db.session.scalar(sa.select(sa.func.max(Technician.id))) or 0) + 1
        stamp = datetime.now(UTC)
        conn.execute(
            sa.insert(Technician),
            [
                {
                    "id": first_tech + n,
                    "client_id": clients[n % len(clients)] if n % 3 == 0 and clients else None,
                    "external_id": f"BENCH-KPI-{n:04d}",
                    "name": f"Bench Technician {n:04d}",
                    "role": TechnicianRole.SHOP_MASTER if n % 10 == 0 else TechnicianRole.MECHANIC,
                    "status": "active",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for n in range(technicians)
            ],
        )
        # The orders dealt to them in turn.
        conn.execute(sa.update(Order).values(technician_id=first_tech + (Order.id % technicians)))
        script = db.session.scalar(sa.select(CallScript).where(CallScript.key == "base"))
        version = script.current_version
        patterns = _patterns(definition_of(version), version.id, rng)
        operator = db.session.scalar(
            sa.select(User.id).where(User.role == Role.OPERATOR).order_by(User.id)
        )
        order_ids = list(db.session.scalars(sa.select(Order.id).order_by(Order.id)))
        task_ids = list(db.session.scalars(sa.select(CallTask.id).order_by(CallTask.id)))
        if not task_ids:
            raise RuntimeError("the data set has no call tasks")
        response_id = (db.session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1
        answer_id = (db.session.scalar(sa.select(sa.func.max(ResponseAnswer.id))) or 0) + 1
        per_call = statistics.mean(len(p["answers"]) for p in patterns)
        calls = round(answers / per_call)
        made_answers = 0
        for period in (month.previous(), month):
            span = (period.ends_at - period.starts_at).total_seconds()
            responses, rows = [], []
            for n in range(calls):
                pattern = patterns[rng.randrange(PATTERNS)]
                order_id = order_ids[rng.randrange(len(order_ids))]
                responses.append(
                    {
                        "id": response_id,
                        "submit_key": f"bench-kpi-{response_id}",
                        "task_id": task_ids[n % len(task_ids)],
                        "order_id": order_id,
                        "technician_id": first_tech + order_id % technicians,  # as dealt
                        "script_version_id": version.id,
                        "operator_id": operator,
                        "submitted_at": period.starts_at + timedelta(seconds=rng.random() * span),
                        "score": pattern["score"],
                        "score_weight": pattern["weight"],
                        "score_breakdown": pattern["breakdown"],
                    }
                )
                for question_id, option_id in pattern["answers"]:
                    rows.append(
                        {
                            "id": answer_id,
                            "response_id": response_id,
                            "question_id": question_id,
                            "option_id": option_id,
                        }
                    )
                    answer_id += 1
                response_id += 1
                if len(responses) >= BATCH:
                    conn.execute(sa.insert(Response), responses)
                    conn.execute(sa.insert(ResponseAnswer), rows)
                    made_answers += len(rows)
                    responses, rows = [], []
                    db.session.commit()
                    conn = db.session.connection()
                    if (n + 1) % (BATCH * 20) == 0:
                        log(f"  {period.start:%Y-%m}: {n + 1:,} of {calls:,} calls")
            if responses:
                conn.execute(sa.insert(Response), responses)
                conn.execute(sa.insert(ResponseAnswer), rows)
                made_answers += len(rows)
            db.session.commit()
            conn = db.session.connection()
        # Repeat repairs confirmed last month, their technician responsible.
        repeat_orders = rng.sample(order_ids, max(1, int(len(order_ids) * REPEAT_SHARE)))
        span = (month.ends_at - month.starts_at).total_seconds()
        for start in range(0, len(repeat_orders), BATCH):
            chunk = repeat_orders[start : start + BATCH]
            conn.execute(
                sa.update(Order)
                .where(Order.id.in_(chunk))
                .values(
                    repeat_repair_state=RepeatRepairState.CONFIRMED,
                    repeat_repair_source=RepeatRepairSource.ANSWER,
                    repeat_repair_responsible_id=Order.technician_id,
                    repeat_repair_cause="workmanship",
                    repeat_repair_reviewed_at=month.starts_at
                    + timedelta(seconds=rng.random() * span),
                )
            )
        # A fine on each complaint of last month (the inbox benchmark's, if it ran).
        fines = [
            {
                "complaint_id": cid,
                "kind": ActionKind.FINE,
                "amount": 1000,
                "charged_technician_id": tid,
                "created_at": created + timedelta(hours=2),
            }
            for cid, tid, created in db.session.execute(
                sa.select(Complaint.id, Complaint.technician_id, Complaint.created_at).where(
                    Complaint.created_at >= month.starts_at,
                    Complaint.created_at < month.ends_at,
                    Complaint.technician_id.is_not(None),
                )
            )
        ]
        for start in range(0, len(fines), BATCH):
            conn.execute(sa.insert(ComplaintAction), fines[start : start + BATCH])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                for table in ("technicians", "orders", "responses", "response_answers"):
                    c.execute(sa.text(f"VACUUM ANALYZE {table}"))
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {
        "technicians": technicians,
        "answers_per_month": made_answers // 2,
        "calls_per_month": calls,
        "repeat_repairs": len(repeat_orders),
        "fines": len(fines),
        "seconds": round(time.perf_counter() - started, 1),
        "month": f"{month.start}..{month.end}",
    }


def _floor(period) -> int:
    """The bare read of the same answers: the period's calls, their answers and options."""
    from console.extensions import db
    from console.models import AnswerOption, Response, ResponseAnswer

    return db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(AnswerOption.points))
        .select_from(Response)
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .join(AnswerOption, AnswerOption.id == ResponseAnswer.option_id)
        .where(Response.submitted_at >= period.starts_at, Response.submitted_at < period.ends_at)
    ).one()[0]


def run(dataset, *, answers: int, technicians: int, rounds: int) -> list[dict]:
    log(f"{dataset.db}: adding {technicians:,} technicians and {answers:,} answers a month ...")
    added = add_kpi_data(dataset.url, answers=answers, technicians=technicians)
    log(f"{dataset.db}: KPI data added in {added['seconds']} s")

    from console.extensions import db
    from console.services.reports import kpi

    app = make_app(dataset.url)
    month = _month(datetime.now(UTC))
    samples, floors, explains = [], [], []
    with app.app_context():
        read = 0
        for n in range(rounds + 1):  # the first round warms the caches
            started = time.perf_counter()
            rows = kpi.technician_kpi(month)
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            started = time.perf_counter()
            read = _floor(month) + _floor(month.previous())
            floor = (time.perf_counter() - started) * 1000
            db.session.remove()
            best = next(r for r in rows if r.score is not None)
            started = time.perf_counter()
            kpi.explain(best.technician_id, month)
            explained = (time.perf_counter() - started) * 1000
            db.session.remove()
            if n:
                samples.append(elapsed)
                floors.append(floor)
                explains.append(explained)
            log(f"{dataset.db}: round {n}: kpi {elapsed:.0f} ms, floor {floor:.0f} ms")
    value = statistics.median(samples)
    floor = statistics.median(floors)
    return [
        emit(
            "kpi_period_ms",
            round(value, 1),
            "ms",
            dataset.db,
            floor=round(floor, 1),
            ratio=round(value / floor, 2) if floor else None,
            samples=[round(s, 1) for s in samples],
            floor_samples=[round(s, 1) for s in floors],
            explain_ms=round(statistics.median(explains), 1),
            technicians_listed=len(rows),
            answers_read=read,
            data=added,
            target="< 1000 ms on PostgreSQL, < 2000 ms on SQLite",
        )
    ]
