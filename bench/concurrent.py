"""50 simulated operators claiming and submitting at once, for a fixed time.

Load generator: ``--procs`` worker processes (default 2, one per core), each running its share
of the operators as threads; every thread has its own app context, database session and
connection, and calls the services directly (``claim_next_call``, then ``submit_call`` with the
first option of every shown question). No HTTP: this measures the claim/submit path and its
locking, not the web server.

Afterwards the database is asked for double claims: tasks with two responses, and tasks whose
attempts by two different operators overlap in time (held by both at once). Each worker also
reports the task ids it claimed, so a task handed to two operators shows up on the client side
too.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.common import OPERATOR_EMAIL, emit, log, make_app, percentile


def _worker(url: str, emails: list[str], start_at: float, seconds: float, queue) -> None:
    """One process: one thread per operator, all starting at ``start_at`` (a wall-clock time)."""
    try:
        app = make_app(url, pool_size=len(emails) + 2)
        results = []
        lock = threading.Lock()

        def operator(email: str) -> None:
            from bench.answers import first_options
            from console.extensions import db
            from console.models import User
            from console.services.calls.submit import submit_call
            from console.services.calls.tasks import claim_next_call
            from console.services.scripts.library import definition_of

            mine = {
                "claims": 0,
                "resumed": 0,  # the held task handed back (after a failed submit)
                "submits": 0,
                "empty": 0,
                "errors": Counter(),
                "tasks": [],
                "claim_ms": [],
                "submit_ms": [],
            }
            definitions: dict[int, dict] = {}
            with app.app_context():
                user = db.session.scalar(sa.select(User).where(User.email == email))
                user_id = user.id
                time.sleep(max(0.0, start_at - time.time()))
                deadline = start_at + seconds
                while time.time() < deadline:
                    try:
                        user = db.session.get(User, user_id)
                        t0 = time.perf_counter()
                        task = claim_next_call(user)
                        t1 = time.perf_counter()
                        if task is None:
                            mine["empty"] += 1
                            time.sleep(0.05)
                            continue
                        mine["claim_ms"].append((t1 - t0) * 1000)
                        if mine["tasks"] and mine["tasks"][-1] == task.id:
                            mine["resumed"] += 1
                        else:
                            mine["claims"] += 1
                            mine["tasks"].append(task.id)
                        version_id = task.script_version_id
                        if version_id not in definitions:
                            definitions[version_id] = definition_of(task.script_version)
                        answers = first_options(definitions[version_id])
                        task_id, token, key = task.id, task.lease_token, task.submit_key
                        t2 = time.perf_counter()
                        submit_call(
                            task_id, user=user, lease_token=token, submit_key=key, answers=answers
                        )
                        mine["submit_ms"].append((time.perf_counter() - t2) * 1000)
                        mine["submits"] += 1
                        db.session.expunge_all()
                    except Exception as exc:  # counted and reported; the operator carries on
                        db.session.rollback()
                        mine["errors"][f"{exc.__class__.__name__}: {str(exc)[:120]}"] += 1
                        time.sleep(0.01)
                db.session.remove()
            with lock:
                results.append(mine)

        threads = [threading.Thread(target=operator, args=(e,)) for e in emails]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        queue.put({"ok": True, "results": results})
    except Exception:
        queue.put({"ok": False, "error": traceback.format_exc()})


def count_double_claims(url: str, since: datetime) -> dict:
    """Tasks with more than one response, and tasks held by two operators at overlapping times,
    among the attempts started since ``since``."""
    from console.extensions import db
    from console.models import CallAttempt, Response

    app = make_app(url)
    with app.app_context():
        two_responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Response.task_id)
                .group_by(Response.task_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
        a, b = sa.orm.aliased(CallAttempt), sa.orm.aliased(CallAttempt)
        far = datetime.now(UTC) + timedelta(days=3650)
        overlapping = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(a.task_id)))
            .select_from(a)
            .join(
                b,
                sa.and_(
                    a.task_id == b.task_id,
                    a.id < b.id,
                    a.operator_id != b.operator_id,
                    b.started_at < sa.func.coalesce(a.ended_at, far),
                    a.started_at < sa.func.coalesce(b.ended_at, far),
                ),
            )
            .where(a.started_at >= since)
        )
        responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.submitted_at >= since)
        )
        db.session.remove()
        db.engine.dispose()
    return {
        "two_responses": two_responses,
        "overlapping_holds": overlapping,
        "responses": responses,
    }


def run(dataset, *, operators: int, seconds: float, procs: int) -> list[dict]:
    from console.models import utcnow

    emails = [OPERATOR_EMAIL.format(n) for n in range(1, operators + 1)]
    shares = [emails[i::procs] for i in range(procs)]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    since = utcnow()  # the operators start 8 s later; earlier benchmarks are not counted
    start_at = time.time() + 8.0  # time for the processes to import and connect
    log(f"{dataset.db}: {operators} operators in {procs} processes for {seconds:g} s ...")
    workers = [
        ctx.Process(target=_worker, args=(dataset.url, share, start_at, seconds, queue))
        for share in shares
        if share
    ]
    for w in workers:
        w.start()
    outcomes = [queue.get(timeout=seconds + 300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    failed = [o["error"] for o in outcomes if not o["ok"]]
    if failed:
        raise RuntimeError("a load process failed:\n" + "\n".join(failed))
    per_operator = [r for o in outcomes for r in o["results"]]
    claims = sum(r["claims"] for r in per_operator)
    submits = sum(r["submits"] for r in per_operator)
    empty = sum(r["empty"] for r in per_operator)
    errors = sum((r["errors"] for r in per_operator), Counter())
    claim_ms = [x for r in per_operator for x in r["claim_ms"]]
    submit_ms = [x for r in per_operator for x in r["submit_ms"]]
    resumed = sum(r["resumed"] for r in per_operator)
    # A task handed to two different operators during the run (whatever the database says).
    holders: dict[int, set[int]] = {}
    for n, r in enumerate(per_operator):
        for t in r["tasks"]:
            holders.setdefault(t, set()).add(n)
    client_dupes = sum(1 for who in holders.values() if len(who) > 1)
    doubles = count_double_claims(dataset.url, since)
    common = {"db": dataset.db, "operators": operators, "seconds": seconds, "processes": procs}
    out = [
        emit(
            "concurrent_claims_per_s",
            round(claims / seconds, 1),
            "claims/s",
            **common,
            claims=claims,
            held_task_handed_back=resumed,
            submits=submits,
            submits_per_s=round(submits / seconds, 1),
            no_task_available=empty,
            errors=sum(errors.values()),
            error_kinds=dict(errors.most_common(5)),
            claim_p50_ms=round(percentile(claim_ms, 50), 2) if claim_ms else None,
            claim_p95_ms=round(percentile(claim_ms, 95), 2) if claim_ms else None,
            submit_p50_ms=round(percentile(submit_ms, 50), 2) if submit_ms else None,
            submit_p95_ms=round(percentile(submit_ms, 95), 2) if submit_ms else None,
            target="no target; compare runs",
        ),
        emit(
            "double_claims",
            doubles["two_responses"] + doubles["overlapping_holds"],
            "tasks",
            **common,
            tasks_with_two_responses=doubles["two_responses"],
            tasks_held_by_two_at_once=doubles["overlapping_holds"],
            given_to_two_operators_seen_by_clients=client_dupes,
            responses_saved=doubles["responses"],
            target=0,
            met=doubles["two_responses"] + doubles["overlapping_holds"] + client_dupes == 0,
        ),
    ]
    return out
