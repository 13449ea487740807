"""The operator console: the start page, "Next call", the call screen (autosave, heartbeat,
submit, outcomes) and pausing.

The rules live in the services: claiming and leases in ``services.calls.tasks``, the idempotent
submit in ``services.calls.submit``, pauses in ``services.calls.pauses``. A view checks that
the operator holds the task, parses the form, calls one service, commits once and answers: a
page, a fragment for htmx (a named block of ``operator/call.html``), or a few bytes of JSON for
the call screen's own autosave and heartbeat (``static/call.js``).

Access: only the holder of a task may open it or send anything for it (403). An operator who
held it and lost it (the lease ran out and another operator took it, or it is finished) gets a
clear 409 instead, so a stale tab says what happened and never overwrites the new holder.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time
from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, get_locale, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from console.access import roles_required
from console.database import unit_of_work
from console.errors import render_error
from console.extensions import db, htmx
from console.labels import CALL_OUTCOMES
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    ComplaintKind,
    PauseReason,
    Role,
    TaskStatus,
    utcnow,
)
from console.money import format_money
from console.operator import bp
from console.operator.forms import (
    OUTCOME_LABELS,
    PAUSE_LABELS,
    AutosaveForm,
    LeaseForm,
    OutcomeForm,
    PauseForm,
    SubmitCallForm,
)
from console.phones import readable_phone
from console.scripts import rendering
from console.services import audit, calling_hours
from console.services.calls import callback_times
from console.services.calls import pauses as operator_state
from console.services.calls import stats as call_stats
from console.services.calls import tasks as calls
from console.services.calls.submit import MissingAnswers, is_own_submission, submit_call
from console.services.scripts.library import definition_of

CALL = "operator/call.html"


# --- errors of the call screen -----------------------------------------------------------------


def _wants_json() -> bool:
    return not htmx and request.accept_mimetypes.best == "application/json"


@bp.errorhandler(calls.LeaseLost)
def _lease_lost(_error):
    """Another operator took the call over (or it is finished): say so, change nothing."""
    db.session.rollback()
    title = _("This call is no longer yours")
    message = _(
        "Another operator has taken it over, or it is already finished. Nothing you ticked "
        "here was saved over their work."
    )
    if _wants_json():
        return jsonify(error="lease_lost", message=message), 409
    if htmx:
        html = render_template("operator/_lease_lost.html", title=title, message=message)
        return htmx_response(html, 409, retarget="#call-alert", reswap="innerHTML")
    return render_template("errors/error.html", title=title, message=message, status=409), 409


@bp.errorhandler(calls.NotHeld)
def _not_held(_error):
    with unit_of_work():  # also refused on a GET
        audit.record(
            "access.refused",
            actor=current_user,
            details={"endpoint": request.endpoint, "path": request.path, "reason": "not_held"},
        )
    if _wants_json():
        return jsonify(error="not_held", message=_("This call is not yours.")), 403
    return render_error(
        403,
        detail=_("This call is not yours: only the operator who took it can open or save it."),
    )


def _held(task_id: int, *, for_screen: bool = False) -> CallTask:
    """The task, if the signed-in operator holds it; else NotHeld (403), or LeaseLost (409) for
    a request from a screen of theirs that was taken over meanwhile."""
    try:
        return calls.task_for(current_user, task_id, for_screen=for_screen)
    except calls.NotHeld:
        if db.session.get(CallTask, task_id) is None:
            abort(404)
        if request.method == "POST" and _held_before(task_id):
            raise calls.LeaseLost()
        raise


def _held_before(task_id: int) -> bool:
    return (
        db.session.scalar(
            select(CallAttempt.id)
            .where(CallAttempt.task_id == task_id, CallAttempt.operator_id == current_user.id)
            .limit(1)
        )
        is not None
    )


def _bad_request(form):
    if _wants_json():
        return jsonify(error="bad_request", fields=sorted(form.errors)), 400
    return render_error(400)


def _go(url: str):
    """Redirect, the htmx way for htmx requests (a full page load of the next screen)."""
    if htmx:
        return htmx_response(redirect=url)
    return redirect(url, 303)


# --- the start page ----------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.OPERATOR)
def start():
    """Next call (or Resume while paused), today's counts, callbacks due (mine first)."""
    now = utcnow()
    next_due = calls.next_due_at(current_user, now)
    return render_template(
        "operator/start.html",
        today=call_stats.operator_today(current_user, now),
        queue=call_stats.queue_summary(user=current_user, now=now),
        paused=operator_state.current_pause(current_user),
        held=calls.held_task(current_user, now),
        nothing_claimed=request.args.get("nothing") == "1",
        next_due=next_due,
        next_due_format=_time_format(next_due, now),
        callbacks=call_stats.callbacks_due(current_user, now),
        upcoming=[
            {
                "task": task,
                "yours": _clock(task.due_at, current_user.timezone, now),
                "customers": _clock(task.due_at, task.client.timezone, now),
                "zone": task.client.timezone,
            }
            for task in call_stats.upcoming_callbacks(current_user)
        ],
        pause_form=PauseForm(formdata=None),
        pause_labels=PAUSE_LABELS,
        now=now,
    )


def _time_format(when: datetime | None, now: datetime) -> str:
    """ "15:30" today, "21 Nov, 15:30" another day (in the operator's time zone)."""
    if when is None or to_user_timezone(when).date() == to_user_timezone(now).date():
        return "HH:mm"
    return "d MMM, HH:mm"


def _when(when: datetime, now: datetime) -> str:
    return format_datetime(when, _time_format(when, now))


@bp.post("/next")
@roles_required(Role.OPERATOR)
def next_call():
    """Claim the next call and open it, or stay on the start page when nothing is due."""
    if operator_state.is_paused(current_user):
        flash(_("You are paused. Resume to take calls."), "info")
        return _go(url_for(".start"))
    return _to_next_call()


def _to_next_call():
    task = calls.claim_next_call(current_user)  # commits
    if task is None:
        return _go(url_for(".start", nothing=1))
    if htmx:
        return _go(url_for(".call", task_id=task.id))
    # The start page's plain form: answer with the call screen itself, one round trip instead
    # of a redirect and a second request on a slow line. The page puts its own address in the
    # history (static/call.js), and posting again returns the same held call, so a reload or
    # "back" never claims a second one.
    return render_template(CALL, **_call_context(task))


@bp.post("/pause")
@roles_required(Role.OPERATOR)
def pause():
    form = PauseForm()
    if not form.validate():
        flash(_("Choose why you pause."), "error")
        return redirect(url_for(".start"), 303)
    reason = PauseReason(form.reason.data)
    operator_state.pause(current_user, reason)
    db.session.commit()
    flash(_("Paused: %(reason)s.", reason=PAUSE_LABELS[reason]), "info")
    return redirect(url_for(".start"), 303)


@bp.post("/resume")
@roles_required(Role.OPERATOR)
def resume():
    if operator_state.resume(current_user) is not None:
        db.session.commit()
        flash(_("Welcome back. Take the next call when you are ready."), "success")
    return redirect(url_for(".start"), 303)


# --- the call screen ---------------------------------------------------------------------------


@bp.get("/call/<int:task_id>")
@roles_required(Role.OPERATOR)
def call(task_id: int):
    task = _held(task_id, for_screen=True)
    return render_template(CALL, **_call_context(task))


def _definition(task: CallTask) -> dict | None:
    return definition_of(task.script_version) if task.script_version is not None else None


def _call_context(task: CallTask, *, answers=None, check=False, outcome_form=None) -> dict:
    now = utcnow()
    order, client = task.order, task.client
    draft = task.draft or {}
    definition = _definition(task)
    if answers is None:
        answers = draft.get("answers") or {}
    sv = rendering.view(definition, order, answers, check=check) if definition else None
    locale = get_locale()
    phone = order.phone or task.customer.primary_phone
    local_now = now.astimezone(ZoneInfo(client.timezone))
    return {
        "task": task,
        "order": order,
        "customer": task.customer,
        "client": client,
        "sv": sv,
        "seq": draft.get("seq", 0),
        "history": calls.customer_history(task),
        "phone": phone,
        "phone_shown": readable_phone(phone),
        "other_phones": [
            (p.e164, readable_phone(p.e164)) for p in task.customer.phones if p.e164 != phone
        ],
        "client_time": format_time(local_now, "short", locale=locale),
        "calling_hours_ok": calling_hours.within(client, now),
        "amount": format_money(order.amount, client.currency, locale=locale),
        "lease_seconds": _lease_left(task, now),
        "talk_seconds": _talk_seconds(task, now),
        "saved_ago": (
            int((now - task.draft_saved_at).total_seconds()) if task.draft_saved_at else None
        ),
        "today": call_stats.operator_today(current_user, now),
        # No token of its own: the call form carries one.
        "outcome_form": outcome_form or OutcomeForm(formdata=None, meta={"csrf": False}),
        "outcome_labels": OUTCOME_LABELS,
        "outcome_names": CALL_OUTCOMES,
        "callback_min": callback_times.field_value(
            local_now.replace(tzinfo=None, second=0, microsecond=0)
        ),
        "callback_presets": _presets(client, now),
        "callback_when": _callback_when(
            task, (outcome_form.callback_at.data if outcome_form else None), now
        ),
        "missing_count": len(sv.missing) if sv else 0,
    }


def _presets(client, now: datetime) -> list[dict]:
    """ "In 1 hour", "This evening, 18:00", "Tomorrow, 10:00": on the customer's clock."""
    labels = {
        "in_hour": lambda t: _("In 1 hour"),
        "evening": lambda t: _("This evening, %(time)s", time=t),
        "tomorrow": lambda t: _("Tomorrow, %(time)s", time=t),
    }
    return [
        {"value": p.value, "label": labels[p.key](p.local.strftime("%H:%M")), "key": p.key}
        for p in callback_times.presets(client.timezone, now)
    ]


def _clock(moment: datetime, zone_name: str, now: datetime) -> str:
    """A moment on one zone's clock: "17:00" on that clock's today, else "5 Dec, 17:00"."""
    zone = callback_times.zone(zone_name)
    today = now.astimezone(zone).date() == moment.astimezone(zone).date()
    pattern = "HH:mm" if today else "d MMM, HH:mm"
    return babel_format_datetime(moment, pattern, tzinfo=zone, locale=get_locale())


def _callback_when(task: CallTask, local: datetime | None, now: datetime) -> dict | None:
    """A callback time typed on the customer's clock, as both the customer and the operator
    read it: "14:00 for the customer (Europe/London), 17:00 for you"."""
    if local is None:
        return None
    both = callback_times.both_zones(
        callback_times.to_utc(local, task.client.timezone),
        task.client.timezone,
        current_user.timezone,
    )
    return {
        "customer": _clock(both.customer, both.customer_zone, now),
        "operator": _clock(both.operator, both.operator_zone, now),
        "customer_zone": both.customer_zone,
        "operator_zone": both.operator_zone,
        "same": both.same_zone,
        "past": both.customer <= now,
    }


@bp.get("/call/<int:task_id>/callback-when")
@roles_required(Role.OPERATOR)
def callback_when(task_id: int):
    """The callback time being chosen, in the customer's zone and the operator's (the call
    screen asks as the field changes)."""
    task = _held(task_id)
    local = callback_times.parse_field(request.args.get("callback_at"))
    return render_template(
        "operator/_callback_when.html", when=_callback_when(task, local, utcnow())
    )


def _talk_seconds(task: CallTask, now: datetime) -> int:
    """Seconds since this operator's attempt at the call started (stored at the claim, so a
    reload keeps counting from there)."""
    started = db.session.scalar(
        select(CallAttempt.started_at)
        .where(
            CallAttempt.task_id == task.id,
            CallAttempt.operator_id == current_user.id,
            CallAttempt.ended_at.is_(None),
        )
        .order_by(CallAttempt.started_at.desc())
        .limit(1)
    )
    return max(0, int((now - started).total_seconds())) if started else 0


def _lease_left(task: CallTask, now: datetime | None = None) -> int:
    if task.lease_expires_at is None:
        return 0
    return max(0, int((task.lease_expires_at - (now or utcnow())).total_seconds()))


@bp.post("/call/<int:task_id>/autosave")
@roles_required(Role.OPERATOR)
def call_autosave(task_id: int):
    """Keep every tick as it is made. Tiny both ways: the form's answers in, three numbers out
    (the counter the server holds, whether this one was stored, the lease's seconds left).
    Saves and heartbeats arrive together: the task's row is locked while it is read and written
    (on SQLite this POST's transaction holds the write lock from its start)."""
    form = AutosaveForm()
    if not form.validate():
        return _bad_request(form)
    task = _held(task_id)
    definition = _definition(task)
    answers = rendering.answers_from_form(definition, request.form) if definition else {}
    stored = calls.save_draft(task, current_user, form.token.data, answers, form.seq.data)
    held_seq = (task.draft or {}).get("seq", form.seq.data)
    lease_left = _lease_left(task)
    db.session.commit()
    return jsonify(seq=held_seq, stored=stored, lease=lease_left)


@bp.post("/call/<int:task_id>/heartbeat")
@roles_required(Role.OPERATOR)
def call_heartbeat(task_id: int):
    """Renew the lease while the call screen is open (every minute)."""
    form = LeaseForm()
    if not form.validate():
        return _bad_request(form)
    task = _held(task_id)
    calls.renew_lease(task, current_user, form.token.data)
    lease_left = _lease_left(task)
    db.session.commit()
    return jsonify(lease=lease_left)


@bp.post("/call/<int:task_id>/submit")
@roles_required(Role.OPERATOR)
def call_submit(task_id: int):
    form = SubmitCallForm()
    task = calls.lock_task(task_id)  # a double click's twin waits here, then finds it saved
    if task is None:
        abort(404)
    if not is_own_submission(task, current_user, form.submit_key.data):
        task = _held(task_id)
    if not form.validate():
        return _bad_request(form)
    definition = _definition(task)
    if definition is None:
        return render_error(409, detail=_("This order has no call script. Ask an admin."))
    answers = rendering.answers_from_form(definition, request.form)
    try:
        result = submit_call(
            task.id,
            user=current_user,
            lease_token=form.token.data,
            submit_key=form.submit_key.data,
            answers=answers,
        )  # commits
    except MissingAnswers:
        return _missing_answers(task, answers)
    flash(_confirmation(result.complaints), "success")
    return _after_call(form)


def _missing_answers(task: CallTask, answers: dict):
    """422 with the script again, each missing answer named beside its question."""
    context = _call_context(task, answers=answers, check=True)
    if htmx:
        return render_block(CALL, "script", **context), 422
    return render_template(CALL, **context), 422


def _confirmation(made) -> str:
    """ "Saved. Complaint #311 created." """
    complaints = [f"#{c.id}" for c in made if c.kind == ComplaintKind.COMPLAINT]
    cases = [f"#{c.id}" for c in made if c.kind == ComplaintKind.POACHING]
    parts = [_("Saved.")]
    if complaints:
        parts.append(
            ngettext(
                "Complaint %(ids)s created.",
                "Complaints %(ids)s created.",
                len(complaints),
                ids=", ".join(complaints),
            )
        )
    if cases:
        parts.append(_("Anti-poaching case %(ids)s opened.", ids=", ".join(cases)))
    return " ".join(parts)


def _after_call(form):
    """Straight to the next call, or to the start page paused if the operator asked for it."""
    reason = form.pause_reason
    if reason is not None:
        with unit_of_work():  # after the call's own commit
            operator_state.pause(current_user, reason)
        flash(_("Paused: %(reason)s.", reason=PAUSE_LABELS[reason]), "info")
        return _go(url_for(".start"))
    return _to_next_call()


@bp.post("/call/<int:task_id>/outcome")
@roles_required(Role.OPERATOR)
def call_outcome(task_id: int):
    """A call that did not complete the survey: retry later, close, or call back."""
    task = _held(task_id)
    now = utcnow()
    form = OutcomeForm(timezone=task.client.timezone, now=now)
    if not form.validate():
        if form.outcome.data == CallOutcome.CALLBACK.value and not form.outcome.errors:
            return _callback_errors(task, form)
        return _bad_request(form)
    outcome = form.chosen
    callback = outcome == CallOutcome.CALLBACK
    calls.record_outcome(
        task,
        current_user,
        form.token.data,
        outcome,
        callback_at=form.callback_at_utc() if callback else None,
        only_me=callback and form.callback_for.data == "me",
        note=(form.note.data or None) if callback else None,
        now=now,
    )
    db.session.commit()
    flash(_outcome_message(task, outcome, form, now), "success")
    return _after_call(form)


def _callback_errors(task: CallTask, form: OutcomeForm):
    context = _call_context(task, outcome_form=form) | {"callback_open": True}
    if htmx:
        return render_block(CALL, "callback_panel", **context), 422
    return render_template(CALL, **context), 422


def _outcome_message(task: CallTask, outcome: CallOutcome, form: OutcomeForm, now) -> str:
    name = CALL_OUTCOMES[outcome]
    if outcome == CallOutcome.CALLBACK:
        if form.callback_for.data == "me":
            return _("Callback set for %(when)s, for you only.", when=_when(task.due_at, now))
        return _("Callback set for %(when)s.", when=_when(task.due_at, now))
    if outcome == CallOutcome.DO_NOT_CALL:
        return _("Recorded: %(outcome)s. This customer will not be called again.", outcome=name)
    if task.status == TaskStatus.DONE and task.outcome == CallOutcome.UNREACHABLE:
        return _(
            "Recorded: %(outcome)s. That was the last attempt: the call is closed as unreachable.",
            outcome=name,
        )
    if task.status == TaskStatus.DONE:
        return _("Recorded: %(outcome)s. The call is closed.", outcome=name)
    return _(
        "Recorded: %(outcome)s. The call comes back at %(when)s.",
        outcome=name,
        when=_when(task.due_at, now),
    )
