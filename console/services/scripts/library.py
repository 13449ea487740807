"""Call scripts in the database: load and export files, select a script for an order, edit a
draft, publish versions.

A script's draft is its one unpublished ``ScriptVersion``; publishing stamps it and makes it
current. Published versions never change (enforced in ``console.models.scripts``), so responses
keep pointing at exactly what the operator saw.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from console.extensions import db
from console.models import (
    AnswerOption,
    CallScript,
    Client,
    Order,
    Question,
    QuestionKind,
    ScriptStatus,
    ScriptVersion,
    User,
    WorkType,
    utcnow,
)
from console.scripts import definition as defn
from console.scripts.question_types import question_type
from console.services import audit
from console.services.complaints.categories import CATEGORY_LABELS, POACHING


class ScriptInvalid(ValueError):
    def __init__(self, problems: list[defn.Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class ScriptFilesInvalid(ValueError):
    """Some files failed: ``lines`` holds ``file:line: message`` for every problem."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


class LockedQuestion(ValueError):
    """The contacts question can only be reworded."""


# --- rows <-> definition -------------------------------------------------------------------


# Published versions never change, so their definitions are cached per process, keyed by the
# version's id (the call screen reads one on every claim, autosave and submit). Nothing here
# needs telling when another process publishes: which version is current is always read from
# the database, and a new version is a new key. Drafts are always read fresh. The threads of a
# worker share the cache: the lock keeps its order and size consistent.
_PUBLISHED_CACHE: OrderedDict[tuple, bytes] = OrderedDict()  # pickled definitions
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()


def definition_of(version: ScriptVersion) -> dict:
    """The normalised definition of a version: the script's settings (name, assignment, which
    apply at once) with the version's texts and questions."""
    script = version.script
    published = version.published_at is not None and bool(version.content_hash)
    # The settings are part of the key: renaming or reassigning a script shows at once.
    cache_key = (
        "definition",
        version.id,
        version.content_hash,
        script.key,
        script.name,
        script.client_id,
        script.work_type_id,
    )
    cached = _recall(cache_key) if published else None
    if cached is not None:
        return _thawed(cached)
    definition = defn.normalise(
        {
            "key": script.key,
            "name": script.name,
            "client": script.client.key if script.client else None,
            "work_type": script.work_type.key if script.work_type else None,
            **_version_content(version),
        }
    )
    if published:
        _remember(cache_key, _frozen(definition))
    return definition


def _frozen(value: dict) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _thawed(frozen: bytes) -> dict:
    """A copy of a cached definition that its caller may change (unpickling is several times
    cheaper than a deep copy). The bytes never leave this process's own cache."""
    return pickle.loads(frozen)  # noqa: S301 - written by _frozen in this process only


def _recall(key: tuple) -> bytes | None:
    with _CACHE_LOCK:
        frozen = _PUBLISHED_CACHE.get(key)
        if frozen is not None:
            _PUBLISHED_CACHE.move_to_end(key)
        return frozen


def _remember(key: tuple, value: bytes) -> None:
    with _CACHE_LOCK:
        _PUBLISHED_CACHE[key] = value
        _PUBLISHED_CACHE.move_to_end(key)
        while len(_PUBLISHED_CACHE) > _CACHE_SIZE:
            _PUBLISHED_CACHE.popitem(last=False)


def clear_cache() -> None:
    """Forget the cached definitions (each test starts with a new database and none)."""
    with _CACHE_LOCK:
        _PUBLISHED_CACHE.clear()


def _version_content(version: ScriptVersion) -> dict:
    if version.published_at is None or not version.content_hash:
        return _content_from_rows(version)
    cache_key = (version.id, version.content_hash)
    cached = _recall(cache_key)
    if cached is None:
        content = _content_from_rows(version)
        _remember(cache_key, _frozen(content))
        return content
    return _thawed(cached)


def _content_from_rows(version: ScriptVersion) -> dict:
    return {
        "language": version.language,
        "intro": version.intro,
        "closing": version.closing,
        "questions": [_question_dict(q) for q in version.questions],
    }


def _question_dict(q: Question) -> dict:
    out = {
        "key": q.key,
        "text": q.text,
        "kind": q.kind.value,
        "weight": q.weight,
        "required": q.required,
        "show_if": q.show_if or None,
        "note": q.note,
        "options": [
            {
                "key": o.key,
                "label": o.label,
                "points": o.points,
                "complaint": o.complaint_category,
                "poaching": o.poaching,
                "repeat_repair": o.repeat_repair,
                "comment_required": o.comment_required,
            }
            for o in q.options
        ],
    }
    if question_type(q.kind).labelled_ends:
        out["low_label"] = q.scale_low_label
        out["high_label"] = q.scale_high_label
    if q.role:
        out["role"] = q.role
    return out


def _fill_version(version: ScriptVersion, definition: dict) -> None:
    version.language = definition["language"]
    version.intro = definition["intro"]
    version.closing = definition["closing"]
    for position, q in enumerate(definition["questions"], start=1):
        question = Question(
            position=position,
            key=q["key"],
            text=q["text"],
            kind=QuestionKind(q["kind"]),
            weight=Decimal(str(q["weight"])),
            required=q["required"],
            show_if=q["show_if"],
            note=q["note"],
            is_contacts=q["key"] == defn.CONTACTS_KEY,
            scale_low_label=q.get("low_label"),
            scale_high_label=q.get("high_label"),
            role=q.get("role"),
        )
        for opos, o in enumerate(q["options"], start=1):
            question.options.append(
                AnswerOption(
                    position=opos,
                    key=o["key"],
                    label=o["label"],
                    points=Decimal(str(o["points"])),
                    complaint_category=o["complaint"],
                    poaching=o["poaching"],
                    repeat_repair=o["repeat_repair"],
                    comment_required=o["comment_required"],
                )
            )
        version.questions.append(question)


# --- files ---------------------------------------------------------------------------------


@dataclass
class LoadResult:
    key: str
    version: int | None  # the new version's number, or None when unchanged
    path: str


def load_files(paths: list[str | Path], *, by=None) -> list[LoadResult]:
    """Validate every file, then publish each changed one. All or nothing: on any problem,
    raise ``ScriptFilesInvalid`` listing them all and change nothing."""
    problems: list[str] = []
    parsed_files = []
    keys_seen: dict[str, str] = {}
    known_categories = complaint_categories()
    for path in map(Path, paths):
        try:
            size = path.stat().st_size
            if size > defn.MAX_FILE_BYTES:  # refused unread
                problems.append(f"{path}:1: {defn.too_large(size)}")
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read the file: {str(exc)[:200]}")
            continue
        parsed = defn.parse_yaml(text)
        file_problems = list(parsed.problems)
        if parsed.definition is not None and not file_problems:
            file_problems += defn.check(parsed.definition)
        if not file_problems:
            definition = defn.normalise(parsed.definition)
            file_problems += _reference_problems(definition)
            file_problems += category_problems(definition, known_categories)
            if definition["key"] in keys_seen:
                file_problems.append(
                    defn.Problem(
                        ("key",),
                        f"key {definition['key']!r} is also in {keys_seen[definition['key']]}",
                    )
                )
            keys_seen.setdefault(definition["key"], str(path))
            parsed_files.append((path, definition))
        for p in file_problems:
            line = p.line if p.line is not None else parsed.line_of(p.path)
            problems.append(f"{path}:{line or 1}: {p}")
    if not problems:
        problems += [str(line) for line in _assignment_conflicts([d for _, d in parsed_files])]
    if problems:
        raise ScriptFilesInvalid(problems)
    return [
        LoadResult(d["key"], publish_definition(d, by=by), str(path)) for path, d in parsed_files
    ]


def _reference_problems(definition: dict) -> list[defn.Problem]:
    problems = []
    if definition["client"] and _client(definition["client"]) is None:
        problems.append(
            defn.Problem(
                ("client",), _l("unknown client %(key)s", key=defn.shown(definition["client"]))
            )
        )
    if definition["work_type"] and _work_type(definition["work_type"]) is None:
        problems.append(
            defn.Problem(
                ("work_type",),
                _l("unknown work type %(key)s", key=defn.shown(definition["work_type"])),
            )
        )
    return problems


# --- complaint categories ------------------------------------------------------------------

# A category an admin adds on purpose in the constructor ("New category…"): a short key.
NEW_CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"


def complaint_categories() -> list[str]:
    """The complaint categories an answer may open: the console's own (with their names in
    services.complaints.categories), then, alphabetically, those that published scripts already
    use (each added once, on purpose, as a new category in the constructor)."""
    own = list(CATEGORY_LABELS)
    used = db.session.scalars(
        select(AnswerOption.complaint_category)
        .join(Question, AnswerOption.question_id == Question.id)
        .join(ScriptVersion, Question.version_id == ScriptVersion.id)
        .where(
            ScriptVersion.published_at.is_not(None), AnswerOption.complaint_category.is_not(None)
        )
        .distinct()
    )
    return own + sorted(set(used) - set(own))


def offered_categories(known: list[str]) -> list[str]:
    """What the constructor offers to choose: the anti-poaching case has its own tick box."""
    return [c for c in known if c != POACHING]


def category_problems(definition: dict, known: list[str]) -> list[defn.Problem]:
    """Each answer's complaint category must be a known one: a typo (``cleanlines``) would open
    complaints nobody filters for. A new category is added in the constructor, on purpose."""
    problems = []
    for qi, question in enumerate(definition["questions"]):
        for oi, option in enumerate(question["options"]):
            category = option.get("complaint")
            if category and category not in known:
                problems.append(
                    defn.Problem(
                        ("questions", qi, "options", oi, "complaint"),
                        defn.unknown_category_message(category, known),
                    )
                )
    return problems


def _assignment_conflicts(definitions: list[dict]) -> list[str]:
    """Two active scripts for the same client and work type would make selection ambiguous."""
    taken: dict[tuple, str] = {}
    for script in db.session.scalars(
        select(CallScript).where(CallScript.status == ScriptStatus.ACTIVE)
    ):
        slot = (
            script.client.key if script.client else None,
            script.work_type.key if script.work_type else None,
        )
        taken[slot] = script.key
    problems = []
    incoming: dict[tuple, str] = {}
    for d in definitions:
        slot = (d["client"], d["work_type"])
        for owner in (taken.get(slot), incoming.get(slot)):
            if owner and owner != d["key"]:
                problems.append(
                    _l(
                        "%(key)s: script %(owner)s already covers client %(client)s and work "
                        "type %(work_type)s",
                        key=d["key"],
                        owner=repr(owner),
                        client=slot[0] or _l("any"),
                        work_type=slot[1] or _l("any"),
                    )
                )
        incoming[slot] = d["key"]
    return problems


def publish_definition(definition: dict, *, by=None) -> int | None:
    """Make ``definition`` the script's current version; None when nothing changed."""
    script = db.session.scalar(select(CallScript).where(CallScript.key == definition["key"]))
    if script is None:
        script = CallScript(key=definition["key"], name=definition["name"])
        db.session.add(script)
    script.name = definition["name"]
    script.client = _client(definition["client"]) if definition["client"] else None
    script.work_type = _work_type(definition["work_type"]) if definition["work_type"] else None
    script.status = ScriptStatus.ACTIVE
    digest = defn.content_hash(definition)
    current = script.current_version
    if current is not None and current.content_hash == digest:
        return None
    _discard_draft(script)
    version = _new_version(script)
    version.content_hash = digest
    _fill_version(version, definition)
    db.session.flush()
    _stamp(script, version, by=by, changes=defn.diff(_current_definition(script), definition))
    return version.number


def export_yaml(key: str) -> str:
    script = db.session.scalar(select(CallScript).where(CallScript.key == key))
    if script is None or script.current_version is None:
        raise LookupError(f"no published script with key {key!r}")
    return defn.to_yaml(definition_of(script.current_version))


# --- selection -----------------------------------------------------------------------------


def select_for(order: Order) -> CallScript | None:
    """Client + work type, then client, then work type, then the base script (DOMAIN.md, 003).
    Only active scripts with a published version. That version comes loaded, with its script:
    the claim puts it on the task, and the call screen reads both."""
    candidates = db.session.scalars(
        select(CallScript)
        .where(
            CallScript.status == ScriptStatus.ACTIVE,
            CallScript.current_version_id.is_not(None),
            or_(CallScript.client_id == order.client_id, CallScript.client_id.is_(None)),
            or_(CallScript.work_type_id == order.work_type_id, CallScript.work_type_id.is_(None)),
        )
        .options(joinedload(CallScript.current_version).joinedload(ScriptVersion.script))
    ).all()

    def rank(script: CallScript) -> tuple:
        return (script.client_id is None, script.work_type_id is None, script.key != "base")

    return min(candidates, key=rank, default=None)


# --- the constructor: drafts ---------------------------------------------------------------


def create_script(*, key: str, name: str, client=None, work_type=None, by=None) -> CallScript:
    script = CallScript(key=key, name=name, client=client, work_type=work_type)
    db.session.add(script)
    db.session.flush()
    draft = _new_version(script)
    _fill_version(
        draft,
        defn.normalise({"key": key, "name": name, "questions": [defn.CONTACTS_QUESTION]}),
    )
    db.session.flush()
    audit.record("script.created", actor=by, entity=script, details={"key": key})
    return script


def clone_script(source: CallScript, *, key: str, name: str, by=None) -> CallScript:
    """A new script (unassigned) whose draft is a copy of the source's latest text."""
    origin = draft_of(source) or source.current_version
    definition = definition_of(origin) | {"key": key, "name": name}
    script = CallScript(key=key, name=name)
    db.session.add(script)
    db.session.flush()
    draft = _new_version(script)
    _fill_version(draft, definition)
    db.session.flush()
    audit.record("script.cloned", actor=by, entity=script, details={"from": source.key})
    return script


def archive_script(script: CallScript, *, by=None) -> None:
    """Archived scripts are no longer selected; their versions and responses stay."""
    script.status = ScriptStatus.ARCHIVED
    audit.record("script.archived", actor=by, entity=script)


def restore_script(script: CallScript, *, by=None) -> None:
    conflicts = _assignment_conflicts(
        [
            {
                "key": script.key,
                "client": script.client.key if script.client else None,
                "work_type": script.work_type.key if script.work_type else None,
            }
        ]
    )
    if conflicts:
        raise ScriptInvalid([defn.Problem((), conflicts[0])])
    script.status = ScriptStatus.ACTIVE
    audit.record("script.restored", actor=by, entity=script)


def draft_of(script: CallScript) -> ScriptVersion | None:
    return db.session.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script.id, ScriptVersion.published_at.is_(None)
        )
    )


def ensure_draft(script: CallScript) -> ScriptVersion:
    """The draft to edit: the existing one, or a fresh copy of the current version."""
    draft = draft_of(script)
    if draft is not None:
        return draft
    definition = definition_of(script.current_version)
    draft = _new_version(script)
    _fill_version(draft, definition)
    db.session.flush()
    return draft


def draft_problems(draft: ScriptVersion) -> list[defn.Problem]:
    definition = definition_of(draft)
    return defn.check(definition) + _reference_problems(definition)


def has_changes(script: CallScript) -> bool:
    draft = draft_of(script)
    if draft is None:
        return False
    if script.current_version is None:
        return True
    return defn.content_hash(definition_of(draft)) != script.current_version.content_hash


def pending_changes(script: CallScript) -> list[str]:
    draft = draft_of(script)
    if draft is None:
        return []
    return defn.diff(_current_definition(script), definition_of(draft))


def publish(script: CallScript, *, by=None, note: str | None = None) -> ScriptVersion:
    """Freeze the draft as the new current version. Raises ScriptInvalid with every problem."""
    draft = draft_of(script)
    if draft is None or not has_changes(script):
        raise ScriptInvalid([defn.Problem((), _l("nothing changed since the current version"))])
    problems = draft_problems(draft) + [
        defn.Problem((), line) for line in _assignment_conflicts([definition_of(draft)])
    ]
    if problems:
        raise ScriptInvalid(problems)
    definition = definition_of(draft)
    draft.content_hash = defn.content_hash(definition)
    draft.note = note
    _stamp(script, draft, by=by, changes=defn.diff(_current_definition(script), definition))
    return draft


def update_settings(script: CallScript, draft: ScriptVersion, *, by=None, **fields) -> None:
    """Name and assignment (client, work type) belong to the script and apply at once, audited;
    language, intro and closing are part of the draft and wait for publishing. Raises
    ScriptInvalid when another active script already covers the new client and work type."""
    before = {
        "name": script.name,
        "client": script.client.key if script.client else None,
        "work_type": script.work_type.key if script.work_type else None,
    }
    after = dict(before)
    if "name" in fields:
        after["name"] = fields["name"]
    for name in ("client", "work_type"):
        if name in fields:
            after[name] = fields[name].key if fields[name] is not None else None
    moved = (after["client"], after["work_type"]) != (before["client"], before["work_type"])
    if moved and script.status == ScriptStatus.ACTIVE:
        conflicts = _assignment_conflicts([{"key": script.key, **after}])
        if conflicts:
            raise ScriptInvalid([defn.Problem(("client",), conflicts[0].split(": ", 1)[1])])
    for name in ("name", "client", "work_type"):
        if name in fields:
            setattr(script, name, fields[name])
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record("script.settings_changed", actor=by, entity=script, details=changed)
    for name in ("intro", "closing", "language"):
        if name in fields:
            setattr(draft, name, fields[name] or ("en" if name == "language" else ""))


def add_question(draft: ScriptVersion, kind: str) -> Question:
    keys = {q.key for q in draft.questions}
    n = sum(1 for q in draft.questions if not q.is_contacts) + 1
    while f"q{n}" in keys:
        n += 1
    question = Question(
        key=f"q{n}",
        text="New question",
        kind=QuestionKind(kind),
        weight=Decimal(1),
        position=0,
        options=_starter_options(kind),
    )
    contacts_at = next((i for i, q in enumerate(draft.questions) if q.is_contacts), None)
    questions = list(draft.questions)
    # New questions go before the contacts question, which closes the survey.
    questions.insert(contacts_at if contacts_at is not None else len(questions), question)
    draft.questions = questions
    _renumber(draft)
    return question


def _starter_options(kind: str) -> list[AnswerOption]:
    return [
        AnswerOption(position=position, **o)
        for position, o in enumerate(question_type(kind).starter_options(), start=1)
    ]


QUESTION_FIELDS = (
    "key",
    "text",
    "kind",
    "weight",
    "required",
    "show_if",
    "note",
    "scale_low_label",
    "scale_high_label",
    "role",
)
CONTACTS_EDITABLE = {"text", "note"}


def update_question(question: Question, **fields) -> None:
    if question.is_contacts:
        locked = {
            k for k, v in fields.items() if k not in CONTACTS_EDITABLE and getattr(question, k) != v
        }
        if locked:
            raise LockedQuestion("only the wording of the contacts question can change")
    for name, value in fields.items():
        if name not in QUESTION_FIELDS:
            raise KeyError(name)
        setattr(question, name, value)


def move_question(question: Question, delta: int) -> None:
    draft = question.version
    questions = list(draft.questions)
    i = questions.index(question)
    j = max(0, min(len(questions) - 1, i + delta))
    questions[i], questions[j] = questions[j], questions[i]
    draft.questions = questions
    _renumber(draft)


def delete_question(question: Question) -> None:
    if question.is_contacts:
        raise LockedQuestion("the contacts question is part of every script")
    draft = question.version
    draft.questions = [q for q in draft.questions if q is not question]
    _renumber(draft)


OPTION_FIELDS = (
    "key",
    "label",
    "points",
    "complaint_category",
    "poaching",
    "repeat_repair",
    "comment_required",
)


def add_option(question: Question) -> AnswerOption:
    if question.is_contacts:
        raise LockedQuestion("the contacts question has exactly yes and no")
    keys = {o.key for o in question.options}
    n = len(question.options) + 1
    while f"o{n}" in keys:
        n += 1
    option = AnswerOption(
        key=f"o{n}", label="New answer", points=Decimal(0), position=len(question.options) + 1
    )
    question.options.append(option)
    return option


def update_option(option: AnswerOption, **fields) -> None:
    if option.question.is_contacts:
        locked = {k for k, v in fields.items() if k != "label" and getattr(option, k) != v}
        if locked:
            raise LockedQuestion("only the wording of the contacts question can change")
    for name, value in fields.items():
        if name not in OPTION_FIELDS:
            raise KeyError(name)
        setattr(option, name, value)


def delete_option(option: AnswerOption) -> None:
    question = option.question
    if question.is_contacts:
        raise LockedQuestion("the contacts question has exactly yes and no")
    question.options = [o for o in question.options if o is not option]
    for position, o in enumerate(question.options, start=1):
        o.position = position


# --- helpers -------------------------------------------------------------------------------


def _renumber(draft: ScriptVersion) -> None:
    for position, q in enumerate(draft.questions, start=1):
        q.position = position


def _discard_draft(script: CallScript) -> None:
    draft = draft_of(script)
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()


def _new_version(script: CallScript) -> ScriptVersion:
    """An empty version numbered after the script's last one, already in the session."""
    version = ScriptVersion(number=_next_number(script), created_at=utcnow())
    db.session.add(version)
    version.script = script
    return version


def _next_number(script: CallScript) -> int:
    highest = db.session.scalar(
        select(func.max(ScriptVersion.number)).where(ScriptVersion.script_id == script.id)
    )
    return (highest or 0) + 1


def _current_definition(script: CallScript) -> dict | None:
    return definition_of(script.current_version) if script.current_version else None


def _stamp(script: CallScript, version: ScriptVersion, *, by, changes: list[str]) -> None:
    # One flush stamps the version: once published_at is stored, nothing else may change.
    by_id = by.id if by is not None else None
    with db.session.no_autoflush:
        version.published_by_id = by_id
        version.published_at = utcnow()
        script.current_version = version
    db.session.flush()
    with force_locale("en"):  # the audit log keeps one language
        changes = [str(change) for change in changes]
    audit.record(
        "script.published",
        actor=by,
        entity=script,
        details={"version": version.number, "changes": changes},
    )


def _client(key: str) -> Client | None:
    return db.session.scalar(select(Client).where(Client.key == key))


def _work_type(key: str) -> WorkType | None:
    return db.session.scalar(select(WorkType).where(WorkType.key == key))


# --- the constructor: listing, history, preview orders ---------------------------------------


@dataclass
class ScriptSummary:
    script: CallScript
    current: ScriptVersion | None
    has_changes: bool


def script_summaries() -> list[ScriptSummary]:
    """Every script for the constructor's list: active first, then by key."""
    scripts = db.session.scalars(
        select(CallScript).order_by(CallScript.status, CallScript.key)
    ).all()
    return [ScriptSummary(s, s.current_version, has_changes(s)) for s in scripts]


def key_taken(key: str) -> bool:
    return db.session.scalar(select(CallScript.id).where(CallScript.key == key)) is not None


def publish_problems(script: CallScript) -> list[defn.Problem]:
    """What ``publish`` would refuse: the draft's problems and assignment conflicts."""
    draft = draft_of(script)
    if draft is None:
        return []
    return draft_problems(draft) + [
        defn.Problem((), line) for line in _assignment_conflicts([definition_of(draft)])
    ]


def published_versions(script: CallScript) -> list[tuple[ScriptVersion, User | None]]:
    """Published versions, newest first, with who published each."""
    rows = db.session.execute(
        select(ScriptVersion, User)
        .outerjoin(User, User.id == ScriptVersion.published_by_id)
        .where(ScriptVersion.script_id == script.id, ScriptVersion.published_at.is_not(None))
        .order_by(ScriptVersion.number.desc())
    ).all()
    return [(version, user) for version, user in rows]


def published_version(script: CallScript, number: int) -> ScriptVersion | None:
    return db.session.scalar(
        select(ScriptVersion).where(
            ScriptVersion.script_id == script.id,
            ScriptVersion.number == number,
            ScriptVersion.published_at.is_not(None),
        )
    )


def change_kind(question: Question, kind: str) -> None:
    """Change a draft question's kind; options that don't suit the new kind (a scale needs
    "1".."5", yes/no needs "yes" and "no", text has none) are replaced by the kind's defaults."""
    update_question(question, kind=QuestionKind(kind))
    keys = [o.key for o in question.options]
    if question_type(kind).option_problems(keys):
        question.options = []
        db.session.flush()  # the old keys go before the new ones arrive (unique per question)
        question.options = _starter_options(kind)
    if not question_type(kind).labelled_ends:
        question.scale_low_label = question.scale_high_label = None


def sample_orders(script: CallScript, limit: int = 20) -> list[Order]:
    """Recent orders to preview a script with: the script's client's, or anyone's."""
    query = select(Order).order_by(Order.completed_at.desc(), Order.id.desc()).limit(limit)
    if script.client_id is not None:
        query = query.where(Order.client_id == script.client_id)
    return list(db.session.scalars(query))
