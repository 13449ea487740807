"""The script constructor: list scripts, edit a draft inline, preview it, publish, history.

Every edit is an htmx POST that saves into the draft through ``services.scripts.library``,
commits once and answers with the fragment that changed: the question's card, or the whole list
when the change reaches other cards (keys, order, "shown if", problems elsewhere). The page head
comes along out of band, and ``HX-Trigger: script-changed`` makes the preview render itself again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from jinja2_fragments.flask import render_block, render_blocks
from sqlalchemy import select
from wtforms import SelectChoice

from console.access import roles_required
from console.admin import bp
from console.admin import script_forms as forms
from console.database import unit_of_work
from console.extensions import db, htmx
from console.forms import ConfirmForm
from console.models import (
    AnswerOption,
    CallScript,
    Client,
    Question,
    Role,
    ScriptStatus,
    ScriptVersion,
    WorkType,
)
from console.scripts import rendering
from console.scripts.definition import Problem
from console.scripts.question_types import QuestionType, question_type
from console.services.scripts import library as script_service
from console.services.scripts.library import LockedQuestion, ScriptInvalid

EDITOR = "admin/scripts/editor.html"
CHANGED = "script-changed"


class StaleDraft(Exception):
    """The page edits a draft that has been published (or discarded) since it was loaded."""


@bp.errorhandler(StaleDraft)
def _stale_draft(_error):
    html = render_template(
        "errors/_notice.html",
        title=_("This draft was published meanwhile"),
        message=_("Reload the page to edit the new draft; nothing was changed."),
        status=409,
    )
    return htmx_response(html, 409, retarget="#notices", reswap="innerHTML")


# --- where each problem is shown --------------------------------------------------------------

QUESTION_FIELD_OF = {
    "key": "key",
    "text": "text",
    "kind": "kind",
    "weight": "weight",
    "required": "required",
    "show_if": "show_if",
    "note": "note",
    "low_label": "scale_low_label",
    "high_label": "scale_high_label",
    "role": "role",
    "options": "options",
}
OPTION_FIELD_OF = {
    "key": "key",
    "label": "label",
    "points": "points",
    "complaint": "complaint_category",
    "poaching": "poaching",
    "repeat_repair": "repeat_repair",
    "comment_required": "comment_required",
}
SETTINGS_FIELDS = ("name", "client", "work_type", "language", "intro", "closing")


class PlacedProblems:
    """The draft's problems sorted by the field they concern, so each shows next to it.

    ``Problem.path`` is like ("questions", 2, "options", 1, "key"): question and option are
    indexes in the draft's order, which is the order of the cards.
    """

    def __init__(self, problems: list[Problem]):
        self.all = problems
        self._at: dict[tuple, list[str]] = defaultdict(list)
        for problem in problems:
            # A plain string in the reader's language: the template escapes it (a lazy string
            # would be taken as markup, and a message quotes what the admin typed).
            self._at[self.place(problem.path)].append(str(problem.message))

    @staticmethod
    def place(path: tuple) -> tuple:
        if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
            index, rest = path[1], path[2:]
            if len(rest) >= 2 and rest[0] == "options" and isinstance(rest[1], int):
                name = OPTION_FIELD_OF.get(rest[2]) if len(rest) > 2 else None
                return ("option", index, rest[1], name)
            return ("question", index, QUESTION_FIELD_OF.get(rest[0]) if rest else None)
        if path and path[0] in SETTINGS_FIELDS:
            return ("settings", path[0])
        return ("script",)

    def question(self, index: int, name: str | None = None) -> list[str]:
        return self._at.get(("question", index, name), [])

    def option(self, index: int, option: int, name: str | None = None) -> list[str]:
        return self._at.get(("option", index, option, name), [])

    def settings(self, name: str) -> list[str]:
        return self._at.get(("settings", name), [])

    @property
    def general(self) -> list[str]:
        return self._at.get(("script",), [])

    def elsewhere_than(self, index: int) -> list[tuple]:
        """Problems not about question ``index``: when they change, more than its card must."""
        return sorted(
            (p.path, str(p.message))
            for p in self.all
            if not (len(p.path) >= 2 and p.path[0] == "questions" and p.path[1] == index)
        )

    @staticmethod
    def describe(problem: Problem, questions: list) -> str:
        """Where a problem is, for the publish page: 'Question 3 (price), answer 2: ...'."""
        path = problem.path
        if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
            index = path[1]
            key = questions[index].key if index < len(questions) else "?"
            where = _("Question %(n)s (%(key)s)", n=index + 1, key=key)
            if len(path) >= 4 and path[2] == "options" and isinstance(path[3], int):
                where = _("%(question)s, answer %(n)s", question=where, n=path[3] + 1)
            return f"{where}: {problem.message}"
        if path and path[0] in SETTINGS_FIELDS:
            return f"{_('Settings')}: {problem.message}"
        return str(problem.message)


# --- cards: a question's form and its options' forms -------------------------------------------


@dataclass
class Card:
    question: Question
    index: int
    form: forms.QuestionForm
    options: list[tuple[AnswerOption, forms.OptionForm]]
    message: str | None = None
    confirming_delete: bool = False

    @property
    def locked(self) -> bool:
        return self.question.is_contacts

    @property
    def type(self) -> QuestionType:
        return question_type(self.question.kind)

    @property
    def fixed_options(self) -> bool:
        """Options whose keys the kind sets (a scale, yes/no): no adding, removing or renaming."""
        return self.locked or self.type.fixed_options


def _card(
    question: Question, questions: list[Question], formdata=None, categories=None, **extra
) -> Card:
    if categories is None:
        categories = script_service.offered_categories(script_service.complaint_categories())
    index = questions.index(question)
    stored = question.show_if or {}
    form = forms.QuestionForm(
        formdata=formdata,
        obj=question,
        prefix=f"q{question.id}",
        show_if_question=stored.get("question") or "",
        show_if_any_of=list(stored.get("any_of") or []),
    )
    target_key = form.show_if_question.data or None
    target = next((q for q in questions if q.key == target_key and q is not question), None)
    option_choices = [SelectChoice(o.key, o.label) for o in (target.options if target else [])]
    known = {c.value for c in option_choices}
    for key in form.show_if_any_of.data or []:
        if key not in known:
            option_choices.append(SelectChoice(key, _("%(key)s (unknown answer)", key=key)))
    form.set_show_if_choices(questions[:index], target_key, option_choices)
    options = []
    for option in question.options:
        prefix = f"o{option.id}"
        # An answer added since the page was loaded isn't in the posted card: show it as stored.
        posted = formdata if formdata is not None and f"{prefix}-key" in formdata else None
        option_form = forms.OptionForm(formdata=posted, obj=option, prefix=prefix)
        option_form.set_category_choices(categories)
        options.append((option, option_form))
    return Card(question, index, form, options, **extra)


def _cards(draft: ScriptVersion) -> list[Card]:
    questions = list(draft.questions)
    categories = script_service.offered_categories(script_service.complaint_categories())
    return [_card(q, questions, categories=categories) for q in questions]


def _card_is_valid(card: Card, questions: list[Question]) -> bool:
    valid = card.form.validate()
    for _option, form in card.options:
        valid = form.validate() and valid
    others = {q.key for q in questions if q is not card.question}
    if card.form.key.data and card.form.key.data.strip() in others:
        card.form.key.errors.append(_("Another question of this script has this key."))
        valid = False
    seen: set[str] = set()
    for _option, form in card.options:
        key = (form.key.data or "").strip()
        if key in seen:
            form.key.errors.append(_("Another answer of this question has this key."))
            valid = False
        seen.add(key)
    return valid


def _save_card(draft: ScriptVersion, question: Question):
    """Save the card's posted fields into the draft. None when saved (or nothing was posted);
    otherwise the response that shows what stopped it, next to the fields."""
    if f"q{question.id}-key" not in request.form:
        return None
    questions = list(draft.questions)
    card = _card(question, questions, formdata=request.form)
    if any(f.adding_category and not (f.new_category.data or "").strip() for _o, f in card.options):
        # "New category…" just chosen: show the field for its key; nothing is saved yet.
        return _card_response(draft, card)
    if not _card_is_valid(card, questions):
        return _card_response(draft, card, status=422)
    stored_target = (question.show_if or {}).get("question")
    fields = card.form.fields_for_service(
        show_if_target_changed=(card.form.show_if_question.data or None) != stored_target
    )
    kind = card.form.kind.data
    try:
        script_service.update_question(question, **fields)
        if kind != question.kind.value:
            script_service.change_kind(question, kind)
        else:
            for option, form in card.options:
                if f"o{option.id}-key" in request.form:
                    script_service.update_option(option, **form.fields_for_service())
        db.session.flush()
    except LockedQuestion as exc:
        db.session.rollback()
        question = db.session.get(Question, question.id)
        return _locked(draft, question, exc)
    return None


def _locked(draft: ScriptVersion, question: Question, exc: LockedQuestion):
    card = _card(
        question,
        list(draft.questions),
        message=_("Not changed: %(reason)s.", reason=str(exc)),
    )
    return _card_response(draft, card, status=422)


def _card_response(draft: ScriptVersion, card: Card, *, status: int = 200):
    problems = PlacedProblems(script_service.draft_problems(draft))
    html = render_block(
        EDITOR,
        "card",
        card=card,
        script=draft.script,
        problems=problems,
        question_count=len(draft.questions),
    )
    # Whatever asked (a field, a button, "Delete"), the answer replaces this card only.
    return htmx_response(html, status, retarget=f"#card-{card.question.id}", reswap="outerHTML")


# --- looking things up --------------------------------------------------------------------------


def _script(script_id: int) -> CallScript:
    return db.get_or_404(CallScript, script_id)


def _draft_question(script_id: int, question_id: int) -> tuple[CallScript, ScriptVersion, Question]:
    script = _script(script_id)
    question = db.get_or_404(Question, question_id)
    if question.version.script_id != script.id:
        abort(404)
    if question.version.is_published:
        raise StaleDraft()
    return script, question.version, question


def _draft_option(script_id: int, option_id: int):
    option = db.get_or_404(AnswerOption, option_id)
    script, draft, question = _draft_question(script_id, option.question_id)
    return script, draft, question, option


def _catalog():
    clients = db.session.scalars(select(Client).order_by(Client.name)).all()
    work_types = db.session.scalars(select(WorkType).order_by(WorkType.name)).all()
    return clients, work_types


def _chosen(model, value: str | None):
    return db.session.get(model, int(value)) if value else None


# --- rendering the editor -----------------------------------------------------------------------


def _layout(draft: ScriptVersion, problems: PlacedProblems, index: int | None) -> tuple:
    """What cards show of each other: the order, the keys, "shown if", the answers of the
    questions a "shown if" names, and the problems. When it changes, more than the edited card
    must be rendered again, so the whole list is."""
    referenced = {q.show_if.get("question") for q in draft.questions if q.show_if}
    cards = tuple(
        (
            q.id,
            q.key,
            json.dumps(q.show_if, sort_keys=True),
            tuple((o.key, o.label) for o in q.options) if q.key in referenced else (),
        )
        for q in draft.questions
    )
    return cards, problems.elsewhere_than(-1 if index is None else index)


def _settings_form(script: CallScript, draft: ScriptVersion, formdata=None):
    form = forms.SettingsForm(
        formdata=formdata,
        prefix="settings",
        name=script.name,
        client=str(script.client_id or ""),
        work_type=str(script.work_type_id or ""),
        language=draft.language,
        intro=draft.intro,
        closing=draft.closing,
    )
    form.set_assignment_choices(*_catalog())
    return form


def _head_context(script: CallScript, problems: PlacedProblems) -> dict:
    return {
        "script": script,
        "problems": problems,
        "has_changes": script_service.has_changes(script),
        "current": script.current_version,
    }


def _editor_context(script: CallScript, draft: ScriptVersion, **overrides) -> dict:
    problems = PlacedProblems(script_service.draft_problems(draft))
    context = _head_context(script, problems) | {
        "draft": draft,
        "cards": _cards(draft),
        "question_count": len(draft.questions),
        "settings_form": _settings_form(script, draft),
        "new_question_form": forms.NewQuestionForm(formdata=None, prefix="new"),
    }
    return context | overrides


def _preview_context(script: CallScript, draft: ScriptVersion, formdata=None) -> dict:
    orders = script_service.sample_orders(script)
    form = forms.PreviewForm(formdata=formdata, prefix="preview")
    form.order.choices = [
        SelectChoice(
            str(o.id),
            f"{o.external_id} · {o.customer.name} · {o.work_type.name}",
        )
        for o in orders
    ]
    order = next((o for o in orders if str(o.id) == form.order.data), orders[0] if orders else None)
    form.order.data = str(order.id) if order else None
    definition = script_service.definition_of(draft)
    answers = rendering.answers_from_form(definition, formdata) if formdata is not None else {}
    sv = rendering.view(definition, order, answers)
    hidden = sum(1 for q in sv.questions if not q["visible"])
    return {"preview_form": form, "sv": sv, "sample_order": order, "hidden_count": hidden}


def _after_edit(script: CallScript, draft: ScriptVersion, before: tuple, index: int | None):
    """Commit, then answer with the edited card, or the whole list when others changed."""
    db.session.commit()
    problems = PlacedProblems(script_service.draft_problems(draft))
    context = _editor_context(script, draft) | {"problems": problems, "oob": True}
    if index is not None and index < len(context["cards"]):
        now = _layout(draft, problems, index)
        if now == before:
            html = render_blocks(EDITOR, ["card", "head"], card=context["cards"][index], **context)
            return htmx_response(html, trigger=CHANGED)
    html = render_blocks(EDITOR, ["questions", "head"], **context)
    return htmx_response(html, retarget="#questions", reswap="outerHTML", trigger=CHANGED)


def _before_edit(draft: ScriptVersion, question: Question | None) -> tuple[tuple, int | None]:
    index = list(draft.questions).index(question) if question is not None else None
    problems = PlacedProblems(script_service.draft_problems(draft))
    return _layout(draft, problems, index), index


def _back_to_editor(script: CallScript):
    """Edits are htmx requests; without htmx (no JavaScript) the page is simply shown again."""
    return redirect(url_for("admin.script_editor", script_id=script.id))


# --- the list -------------------------------------------------------------------------------------


@bp.route("/scripts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def scripts():
    """The scripts with their assignment and current version; a form to create one."""
    form = forms.NewScriptForm()
    form.set_assignment_choices(*_catalog())
    if form.validate_on_submit():
        script = script_service.create_script(
            key=form.key.data.strip(),
            name=form.name.data.strip(),
            client=_chosen(Client, form.client.data),
            work_type=_chosen(WorkType, form.work_type.data),
            by=current_user,
        )
        db.session.commit()
        flash(_("Script %(key)s created. Add its questions.", key=script.key), "success")
        return redirect(url_for("admin.script_editor", script_id=script.id))
    return render_template(
        "admin/scripts/list.html",
        form=form,
        rows=script_service.script_summaries(),
        confirm=ConfirmForm(),
    ), (422 if form.errors else 200)


@bp.route("/scripts/<int:script_id>/clone", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def script_clone(script_id: int):
    source = _script(script_id)
    form = forms.CloneForm(
        key=f"{source.key}-copy"[:64], name=_("%(name)s (copy)", name=source.name)[:200]
    )
    if form.validate_on_submit():
        script = script_service.clone_script(
            source, key=form.key.data.strip(), name=form.name.data.strip(), by=current_user
        )
        db.session.commit()
        flash(_("Script %(key)s created from %(source)s.", key=script.key, source=source.key))
        return redirect(url_for("admin.script_editor", script_id=script.id))
    return render_template("admin/scripts/clone.html", source=source, form=form), (
        422 if form.errors else 200
    )


@bp.post("/scripts/<int:script_id>/<any(archive,restore):action>")
@roles_required(Role.ADMIN)
def script_status(script_id: int, action: str):
    script = _script(script_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "archive":
        script_service.archive_script(script, by=current_user)
        flash(_("Script %(key)s archived: it is no longer used for calls.", key=script.key))
    else:
        try:
            script_service.restore_script(script, by=current_user)
        except ScriptInvalid as exc:
            db.session.rollback()
            flash(_("Not restored: %(reason)s.", reason=exc.problems[0].message), "error")
            return redirect(url_for("admin.scripts"))
        flash(_("Script %(key)s restored.", key=script.key), "success")
    db.session.commit()
    return redirect(url_for("admin.scripts"))


# --- the editor -----------------------------------------------------------------------------------


@bp.get("/scripts/<int:script_id>")
@roles_required(Role.ADMIN)
def script_editor(script_id: int):
    script = _script(script_id)
    with unit_of_work():  # opening the editor may start the draft
        draft = script_service.ensure_draft(script)
    return render_template(
        EDITOR, **_editor_context(script, draft), **_preview_context(script, draft)
    )


@bp.post("/scripts/<int:script_id>/settings")
@roles_required(Role.ADMIN)
def script_settings(script_id: int):
    script = _script(script_id)
    draft = script_service.ensure_draft(script)
    form = _settings_form(script, draft, formdata=request.form)
    if not form.validate():
        problems = PlacedProblems(script_service.draft_problems(draft))
        html = render_block(
            EDITOR, "settings", settings_form=form, script=script, problems=problems
        )
        return htmx_response(html, 422)
    try:
        script_service.update_settings(
            script,
            draft,
            by=current_user,
            name=form.name.data.strip(),
            client=_chosen(Client, form.client.data),
            work_type=_chosen(WorkType, form.work_type.data),
            language=form.language.data,
            intro=form.intro.data,
            closing=form.closing.data,
        )
    except script_service.ScriptInvalid as refused:
        db.session.rollback()
        form.client.errors = [str(p.message) for p in refused.problems]
        problems = PlacedProblems(script_service.draft_problems(draft))
        html = render_block(
            EDITOR, "settings", settings_form=form, script=script, problems=problems
        )
        return htmx_response(html, 422)
    db.session.commit()
    if not htmx:
        return _back_to_editor(script)
    context = _editor_context(script, draft) | {"oob": True}
    html = render_blocks(EDITOR, ["settings", "head"], **context)
    return htmx_response(html, trigger=CHANGED)


@bp.post("/scripts/<int:script_id>/questions")
@roles_required(Role.ADMIN)
def question_add(script_id: int):
    script = _script(script_id)
    draft = script_service.ensure_draft(script)
    form = forms.NewQuestionForm(formdata=request.form, prefix="new")
    if not form.validate():
        abort(400)
    before, _index = _before_edit(draft, None)
    script_service.add_question(draft, form.kind.data)
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, None)


@bp.post("/scripts/<int:script_id>/questions/<int:question_id>")
@roles_required(Role.ADMIN)
def question_update(script_id: int, question_id: int):
    script, draft, question = _draft_question(script_id, question_id)
    before, index = _before_edit(draft, question)
    failed = _save_card(draft, question)
    if failed is not None:
        return failed
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, index)


@bp.post("/scripts/<int:script_id>/questions/<int:question_id>/move/<any(up,down):direction>")
@roles_required(Role.ADMIN)
def question_move(script_id: int, question_id: int, direction: str):
    script, draft, question = _draft_question(script_id, question_id)
    before, _index = _before_edit(draft, question)
    failed = _save_card(draft, question)
    if failed is not None:
        return failed
    script_service.move_question(question, -1 if direction == "up" else 1)
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, None)


@bp.get("/scripts/<int:script_id>/questions/<int:question_id>/delete")
@roles_required(Role.ADMIN)
def question_delete_confirm(script_id: int, question_id: int):
    """The delete control of a card: "Delete…", or (asked) "Really delete?" with the buttons."""
    script, draft, question = _draft_question(script_id, question_id)
    card = _card(question, list(draft.questions), confirming_delete="cancel" not in request.args)
    return render_block(EDITOR, "delete_control", card=card, script=script)


@bp.post("/scripts/<int:script_id>/questions/<int:question_id>/delete")
@roles_required(Role.ADMIN)
def question_delete(script_id: int, question_id: int):
    script, draft, question = _draft_question(script_id, question_id)
    before, _index = _before_edit(draft, None)
    try:
        script_service.delete_question(question)
    except LockedQuestion as exc:
        return _locked(draft, question, exc)
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, None)


@bp.post("/scripts/<int:script_id>/questions/<int:question_id>/options")
@roles_required(Role.ADMIN)
def option_add(script_id: int, question_id: int):
    script, draft, question = _draft_question(script_id, question_id)
    before, index = _before_edit(draft, question)
    failed = _save_card(draft, question)
    if failed is not None:
        return failed
    try:
        script_service.add_option(question)
    except LockedQuestion as exc:
        db.session.rollback()
        return _locked(draft, db.session.get(Question, question_id), exc)
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, index)


@bp.post("/scripts/<int:script_id>/options/<int:option_id>/delete")
@roles_required(Role.ADMIN)
def option_delete(script_id: int, option_id: int):
    script, draft, question, option = _draft_option(script_id, option_id)
    before, index = _before_edit(draft, question)
    failed = _save_card(draft, question)
    if failed is not None:
        return failed
    try:
        script_service.delete_option(option)
    except LockedQuestion as exc:
        db.session.rollback()
        return _locked(draft, db.session.get(Question, question.id), exc)
    if not htmx:
        db.session.commit()
        return _back_to_editor(script)
    return _after_edit(script, draft, before, index)


@bp.post("/scripts/<int:script_id>/preview")
@roles_required(Role.ADMIN)
def script_preview(script_id: int):
    """The operator's view of the draft for a sample order, with what the ticks would give."""
    script = _script(script_id)
    draft = script_service.ensure_draft(script)
    db.session.commit()
    if not htmx:
        return _back_to_editor(script)
    return render_block(
        EDITOR, "preview", script=script, **_preview_context(script, draft, request.form)
    )


# --- publishing and history -------------------------------------------------------------------


@bp.route("/scripts/<int:script_id>/publish", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def script_publish(script_id: int):
    """What changed since the last version, and what stops publishing; POST publishes."""
    script = _script(script_id)
    draft = script_service.draft_of(script)
    changed = script_service.has_changes(script)
    # Plain strings in the reader's language, escaped by the template (they quote keys).
    changes = [str(c) for c in script_service.pending_changes(script)] if changed else []
    problems = script_service.publish_problems(script) if changed else []
    form = forms.PublishForm()
    if changed and not problems and form.validate_on_submit():
        try:
            version = script_service.publish(
                script, by=current_user, note=(form.note.data or "").strip() or None
            )
        except ScriptInvalid as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            db.session.commit()
            flash(_("Version %(n)s published.", n=version.number), "success")
            return redirect(url_for("admin.script_editor", script_id=script.id))
    questions = list(draft.questions) if draft is not None else []
    return render_template(
        "admin/scripts/publish.html",
        script=script,
        form=form,
        changed=changed,
        changes=changes,
        number=draft.number if draft is not None else None,
        problems=[PlacedProblems.describe(p, questions) for p in problems],
    ), (422 if form.is_submitted() else 200)


@bp.get("/scripts/<int:script_id>/versions")
@roles_required(Role.ADMIN)
def script_versions(script_id: int):
    script = _script(script_id)
    return render_template(
        "admin/scripts/versions.html",
        script=script,
        versions=script_service.published_versions(script),
        has_changes=script_service.has_changes(script),
    )


@bp.get("/scripts/<int:script_id>/versions/<int:number>")
@roles_required(Role.ADMIN)
def script_version(script_id: int, number: int):
    """A published version, read-only, as the operator sees it for the latest sample order
    (every question shown, whatever the answers)."""
    script = _script(script_id)
    version = script_service.published_version(script, number)
    if version is None:
        abort(404)
    orders = script_service.sample_orders(script, limit=1)
    order = orders[0] if orders else None
    sv = rendering.view(script_service.definition_of(version), order)
    sv = replace(sv, questions=[q | {"visible": True} for q in sv.questions])
    return render_template(
        "admin/scripts/version.html",
        script=script,
        version=version,
        sv=sv,
        sample_order=order,
        archived=script.status == ScriptStatus.ARCHIVED,
    )
