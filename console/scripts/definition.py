"""The script definition: parse (YAML with line numbers), check, normalise, hash, diff.

Every problem is reported with where it is (``questions[2].options[1].key``) and, for a file,
its line, so ``flask scripts load`` can print ``file:line: message`` for each and change nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import jsonschema
import yaml
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from console.scripts.placeholders import PLACEHOLDERS, unknown_placeholders
from console.scripts.question_types import QUESTION_TYPES, question_type

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "scripts_config" / "schema.json"

CONTACTS_KEY = "contacts"
# Every script asks this (DOMAIN.md, 003). Only the wording may change; "yes" opens the
# anti-poaching case and can't be switched off.
CONTACTS_QUESTION = {
    "key": CONTACTS_KEY,
    "text": "Did the technician leave you personal contact details, to do work privately later?",
    "kind": "yesno",
    "weight": 0,
    "required": True,
    "show_if": None,
    "note": (
        "Please remember: no warranty is given for work a technician does privately, outside "
        "{client.name}. For any future job, book through us."
    ),
    "options": [
        {"key": "no", "label": "No", "points": 1},
        {"key": "yes", "label": "Yes", "points": 0, "poaching": True},
    ],
}
CONTACTS_WORDING = ("text", "note")  # and the options' labels


Path_ = tuple[str | int, ...]

# Limits checked before any Python object is built from a file: a script is a few KB, and
# nothing in one needs YAML aliases (``*name``), which can expand a 600-byte file into
# billions of items ("billion laughs").
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 16  # a script nests 6 deep: script, questions, question, show_if, any_of, item
SHOWN_CHARS = 80  # a value quoted in a message is cut to this: a message never prints a document
MESSAGE_CHARS = 500


def shown(value) -> str:
    """``repr(value)`` for a message, cut to ``SHOWN_CHARS``."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


@dataclass
class Problem:
    """``message``: a lazy string where the reader may see it (the constructor, the publish
    page): it reads in the reader's language when shown; ``flask scripts load`` prints English."""

    path: Path_
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        if len(self.message) > MESSAGE_CHARS:
            self.message = self.message[: MESSAGE_CHARS - 1] + "…"

    @property
    def where(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.path else str(self.message)


@dataclass
class Parsed:
    definition: dict | None
    problems: list[Problem] = field(default_factory=list)
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


# --- parsing -------------------------------------------------------------------------------


class _Refused(yaml.MarkedYAMLError):
    """A document this loader will not build: an alias, or nesting deeper than any script."""


class _ScriptLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases and deep nesting while it composes the document,
    before a single object is built from it."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                problem=f"YAML aliases (*{event.anchor[:SHOWN_CHARS]}) are not allowed in a "
                "script file: write the text out where it is needed",
                problem_mark=event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str) -> Parsed:
    """YAML text -> definition dict, remembering the line of every key and list item. Files
    over ``MAX_FILE_BYTES``, aliases and deep nesting are refused before anything is built."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return Parsed(None, [Problem((), too_large(size), 1)])
    loader = _ScriptLoader(text)
    try:
        node = loader.get_single_node()
        definition = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        return Parsed(None, [Problem((), exc.problem, exc.problem_mark.line + 1)])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        return Parsed(None, [Problem((), f"malformed YAML: {problem[:200]}", line)])
    finally:
        loader.dispose()
    if node is None:
        return Parsed(None, [Problem((), "the file is empty", 1)])
    parsed = Parsed(None)
    _walk(node, (), parsed)
    parsed.definition = definition
    if not isinstance(parsed.definition, dict):
        parsed.problems.append(Problem((), "a script file must be a mapping of fields", 1))
        parsed.definition = None
    return parsed


def too_large(size: int) -> str:
    return f"the file is {size / 1024:.0f} KB; a script file may be {MAX_FILE_BYTES // 1024} KB"


def _walk(node, path: Path_, parsed: Parsed) -> None:
    parsed.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                parsed.problems.append(
                    Problem(path, f"duplicate field {shown(key)}", key_node.start_mark.line + 1)
                )
            seen.add(key)
            parsed.lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), parsed)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), parsed)


# --- checking ------------------------------------------------------------------------------


def _schema() -> dict:
    return _schema_for(tuple(QUESTION_TYPES))


@cache
def _schema_for(kinds: tuple[str, ...]) -> dict:
    """The schema file with the registry's kinds (the file's own list is for YAML editors)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["$defs"]["question"]["properties"]["kind"]["enum"] = list(kinds)
    return schema


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "enum" and error.path and error.path[-1] == "kind":
        kinds = ", ".join(QUESTION_TYPES)
        return _l(
            "unknown kind %(kind)s; expected one of: %(kinds)s",
            kind=shown(error.instance),
            kinds=kinds,
        )
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        names = ", ".join(shown(e) for e in extra[:5])
        if any(" " in str(e) for e in extra):
            return _l(
                "unknown field %(names)s (a text with a comma inside {...} must be in quotes)",
                names=names,
            )
        return _l("unknown field %(names)s", names=names)
    if error.validator == "minItems" and error.path and error.path[-1] == "any_of":
        return _l("show_if needs at least one answer of the earlier question")
    message = error.message
    quoted = repr(error.instance)
    if len(quoted) > SHOWN_CHARS:  # jsonschema quotes the whole value it refuses
        message = message.replace(quoted, shown(error.instance))
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            return _l("%(field)s is required", field=shown(missing[0]))
        return message.replace("is a required property", "is required")
    if error.validator == "minLength" and error.validator_value == 1:
        return _l("must not be empty")
    return message


def check(definition: dict) -> list[Problem]:
    """Every problem of a definition, schema first; rules only when the shape is right."""
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        Problem(tuple(e.absolute_path), _schema_message(e))
        for e in sorted(validator.iter_errors(definition), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems
    return _rule_problems(definition)


def _rule_problems(definition: dict) -> list[Problem]:
    problems: list[Problem] = []
    for field_name in ("intro", "closing"):
        for name in unknown_placeholders(definition.get(field_name) or ""):
            problems.append(Problem((field_name,), _unknown_placeholder(name)))

    seen: dict[str, int] = {}
    options_of: dict[str, list[str]] = {}
    for qi, question in enumerate(definition["questions"]):
        path = ("questions", qi)
        key = question["key"]
        if key in seen:
            problems.append(
                Problem(
                    (*path, "key"),
                    _l(
                        "duplicate question key %(key)s (see question %(n)s)",
                        key=shown(key),
                        n=seen[key] + 1,
                    ),
                )
            )
        kind = question_type(question["kind"])
        option_keys = [str(o["key"]) for o in question.get("options", [])]
        for message in kind.option_problems(option_keys):
            problems.append(Problem((*path, "options"), message))
        dupes = sorted({k for k in option_keys if option_keys.count(k) > 1})
        for dupe in dupes:
            problems.append(
                Problem((*path, "options"), _l("duplicate option key %(key)s", key=shown(dupe)))
            )
        for name in unknown_placeholders(question["text"]) + unknown_placeholders(
            question.get("note") or ""
        ):
            problems.append(Problem((*path, "text"), _unknown_placeholder(name)))
        for oi, option in enumerate(question.get("options", [])):
            for name in unknown_placeholders(option["label"]):
                problems.append(
                    Problem((*path, "options", oi, "label"), _unknown_placeholder(name))
                )
        show_if = question.get("show_if")
        if show_if:
            target = show_if["question"]
            if target == key:
                problems.append(
                    Problem((*path, "show_if"), _l("a question cannot depend on itself"))
                )
            elif target not in seen:
                later = any(q["key"] == target for q in definition["questions"][qi + 1 :])
                problems.append(
                    Problem(
                        (*path, "show_if", "question"),
                        _l(
                            "show_if points forward to %(key)s: it must name an earlier question",
                            key=shown(target),
                        )
                        if later
                        else _l("show_if names unknown question %(key)s", key=shown(target)),
                    )
                )
            else:
                for option_key in map(str, show_if["any_of"]):
                    if option_key not in options_of[target]:
                        problems.append(
                            Problem(
                                (*path, "show_if", "any_of"),
                                _l(
                                    "show_if names unknown option %(option)s of %(key)s",
                                    option=shown(option_key),
                                    key=shown(target),
                                ),
                            )
                        )
        seen.setdefault(key, qi)
        options_of[key] = option_keys
        if key == CONTACTS_KEY:
            problems.extend(_contacts_problems(question, path))
        problems.extend(_role_problems(question, path, option_keys))
    return problems


def _role_problems(question: dict, path: Path_, option_keys: list[str]) -> list[Problem]:
    """A "recommend" question is asked 0-10: its options are keyed 0 to 10 (NPS reads the key);
    a "satisfaction" one has its options worst first, so the last two are "satisfied"."""
    role = question.get("role")
    if role == "recommend" and sorted(option_keys, key=str) != sorted(map(str, range(11)), key=str):
        return [
            Problem(
                (*path, "role"),
                _l("a recommend question has the options 0, 1, ... 10 (their keys), nothing else"),
            )
        ]
    if role == "satisfaction" and (
        question["kind"] not in ("scale", "single") or len(option_keys) < 3
    ):
        return [
            Problem(
                (*path, "role"),
                _l("a satisfaction question is a scale or single choice with at least 3 options"),
            )
        ]
    return []


def _contacts_problems(question: dict, path: Path_) -> list[Problem]:
    problems = []
    if question["kind"] != "yesno":
        problems.append(Problem((*path, "kind"), _l("the contacts question is a yesno question")))
        return problems
    yes_at = next((i for i, o in enumerate(question["options"]) if o["key"] == "yes"), None)
    if yes_at is not None and not question["options"][yes_at].get("poaching"):
        problems.append(
            Problem(
                (*path, "options", yes_at),
                _l(
                    "the contacts question's 'yes' option must have poaching: true "
                    "(it opens the anti-poaching case)"
                ),
            )
        )
    if question.get("show_if"):
        problems.append(Problem((*path, "show_if"), _l("the contacts question is always asked")))
    return problems


def unknown_category_message(category: str, known: list[str]) -> str:
    close = difflib.get_close_matches(category, known, n=1)
    if close:
        return _l(
            "unknown complaint category %(category)s (did you mean %(close)s?); known: "
            "%(known)s. A new category is added on purpose in the script constructor "
            "(New category…)",
            category=shown(category),
            close=shown(close[0]),
            known=", ".join(known),
        )
    return _l(
        "unknown complaint category %(category)s; known: %(known)s. A new category is added "
        "on purpose in the script constructor (New category…)",
        category=shown(category),
        known=", ".join(known),
    )


def _unknown_placeholder(name: str) -> str:
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    return _l(
        "unknown placeholder %(name)s; known: %(known)s",
        name="{" + name[:SHOWN_CHARS] + "}",
        known=known,
    )


# --- normal form ---------------------------------------------------------------------------


def _number(value) -> int | float:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return 0
    return int(d) if d == d.to_integral_value() else float(d)


def normalise(definition: dict) -> dict:
    """The canonical form: every field present, in a fixed order, numbers tidy, and the contacts
    question added when the file did not have it. Assumes ``check`` found nothing."""
    questions = [_normal_question(q) for q in definition["questions"]]
    if not any(q["key"] == CONTACTS_KEY for q in questions):
        questions.append(_normal_question(CONTACTS_QUESTION))
    return {
        "key": definition["key"],
        "name": definition["name"],
        "client": definition.get("client"),
        "work_type": definition.get("work_type"),
        "language": definition.get("language") or "en",
        "intro": definition.get("intro") or "",
        "questions": questions,
        "closing": definition.get("closing") or "",
    }


def _normal_question(q: dict) -> dict:
    out = {
        "key": q["key"],
        "text": q["text"],
        "kind": q["kind"],
        "weight": _number(q.get("weight", 1)),
        "required": bool(q.get("required", False)),
        "show_if": (
            {
                "question": q["show_if"]["question"],
                "any_of": [str(k) for k in q["show_if"]["any_of"]],
            }
            if q.get("show_if")
            else None
        ),
        "note": q.get("note") or None,
        "options": [_normal_option(o) for o in q.get("options", [])],
    }
    if question_type(q["kind"]).labelled_ends:
        out["low_label"] = q.get("low_label") or None
        out["high_label"] = q.get("high_label") or None
    # Only when set: a script without roles keeps its content hash (no new version on load).
    if q.get("role"):
        out["role"] = q["role"]
    return out


def _normal_option(o: dict) -> dict:
    return {
        "key": str(o["key"]),
        "label": o["label"],
        "points": _number(o.get("points", 0)),
        "complaint": o.get("complaint") or None,
        "poaching": bool(o.get("poaching", False)),
        "repeat_repair": bool(o.get("repeat_repair", False)),
        "comment_required": bool(o.get("comment_required", False)),
    }


# The script's name and assignment are settings of the script, applied at once; a version is
# what the operator reads and what scores.
SCRIPT_SETTINGS = ("key", "name", "client", "work_type")


def content_hash(definition: dict) -> str:
    """Hash of what the operator sees and what scores: a new version only when this changes."""
    body = {k: v for k, v in definition.items() if k not in SCRIPT_SETTINGS}
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# --- YAML out ------------------------------------------------------------------------------


def to_yaml(definition: dict) -> str:
    """Readable YAML that loads back to the same definition (defaults left out)."""
    out: dict = {
        "key": definition["key"],
        "name": definition["name"],
        "client": definition.get("client"),
        "work_type": definition.get("work_type"),
        "language": definition.get("language", "en"),
        "intro": definition.get("intro", ""),
        "questions": [],
        "closing": definition.get("closing", ""),
    }
    for q in definition["questions"]:
        item = {"key": q["key"], "text": q["text"], "kind": q["kind"], "weight": q["weight"]}
        if q["required"]:
            item["required"] = True
        if q.get("show_if"):
            item["show_if"] = q["show_if"]
        if q.get("note"):
            item["note"] = q["note"]
        for end in ("low_label", "high_label", "role"):
            if q.get(end):
                item[end] = q[end]
        if q["options"]:
            item["options"] = [
                {k: v for k, v in o.items() if k in ("key", "label", "points") or v}
                for o in q["options"]
            ]
        out["questions"].append(item)
    return yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=100)


# --- what changed --------------------------------------------------------------------------


# How the publish page names what changed (lazy: in the reader's language when shown).
CHANGED_FIELDS = {
    "language": _l("Language changed."),
    "intro": _l("Intro changed."),
    "closing": _l("Closing changed."),
}
FIELD_NAMES = {
    "text": _l("text"),
    "kind": _l("kind"),
    "weight": _l("weight"),
    "required": _l("required"),
    "show_if": _l("shown if"),
    "note": _l("note"),
    "low_label": _l("low end label"),
    "high_label": _l("high end label"),
    "role": _l("role"),
    "points": _l("points"),
    "complaint": _l("complaint"),
    "poaching": _l("anti-poaching case"),
    "repeat_repair": _l("repeat repair"),
    "comment_required": _l("comment required"),
}


def _value(name: str, value):
    """A changed value as the reader reads it: yes/no, a number, a kind's or category's name."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _l("yes") if value else _l("no")
    if name == "kind" and value in QUESTION_TYPES:
        return question_type(value).label
    if name == "complaint":
        from console.services.complaints.categories import category_label

        return LazyString(category_label, value)
    if isinstance(value, int | float | Decimal):
        from flask_babel import format_decimal

        return LazyString(format_decimal, value)
    return value


def diff(old: dict | None, new: dict) -> list[str]:
    """Sentences saying what changed between two normalised definitions (lazy strings)."""
    if old is None:
        count = len(new["questions"])
        return [_ln("First version: %(num)s question.", "First version: %(num)s questions.", count)]
    changes = []
    for name in ("language", "intro", "closing"):
        if old.get(name) != new.get(name):
            changes.append(CHANGED_FIELDS[name])
    old_q = {q["key"]: q for q in old["questions"]}
    new_q = {q["key"]: q for q in new["questions"]}
    for key in new_q.keys() - old_q.keys():
        changes.append(_l("Question %(key)s added.", key=repr(key)))
    for key in old_q.keys() - new_q.keys():
        changes.append(_l("Question %(key)s removed.", key=repr(key)))
    common = [k for k in new_q if k in old_q]
    if [k for k in [q["key"] for q in old["questions"]] if k in new_q] != common:
        changes.append(_l("Questions reordered."))
    for key in common:
        changes.extend(_question_diff(key, old_q[key], new_q[key]))
    return changes


def _question_diff(key: str, old: dict, new: dict) -> list[str]:
    out = []
    fields = (
        "text",
        "kind",
        "weight",
        "required",
        "show_if",
        "note",
        "low_label",
        "high_label",
        "role",
    )
    for name in fields:
        if old.get(name) != new.get(name):
            if name in ("weight", "required", "kind"):
                out.append(
                    _l(
                        "Question %(key)s: %(field)s %(old)s → %(new)s.",
                        key=repr(key),
                        field=FIELD_NAMES[name],
                        old=_value(name, old.get(name)),
                        new=_value(name, new.get(name)),
                    )
                )
            else:
                out.append(
                    _l(
                        "Question %(key)s: %(field)s changed.",
                        key=repr(key),
                        field=FIELD_NAMES[name],
                    )
                )
    old_o = {o["key"]: o for o in old["options"]}
    new_o = {o["key"]: o for o in new["options"]}
    for okey in new_o.keys() - old_o.keys():
        out.append(
            _l("Question %(key)s: option %(option)s added.", key=repr(key), option=repr(okey))
        )
    for okey in old_o.keys() - new_o.keys():
        out.append(
            _l("Question %(key)s: option %(option)s removed.", key=repr(key), option=repr(okey))
        )
    for okey in [k for k in new_o if k in old_o]:
        for name, value in new_o[okey].items():
            if old_o[okey].get(name) != value:
                if name == "label":
                    out.append(
                        _l(
                            "Question %(key)s, option %(option)s: label changed.",
                            key=repr(key),
                            option=repr(okey),
                        )
                    )
                else:
                    out.append(
                        _l(
                            "Question %(key)s, option %(option)s: %(field)s %(old)s → %(new)s.",
                            key=repr(key),
                            option=repr(okey),
                            field=FIELD_NAMES.get(name, name),
                            old=_value(name, old_o[okey].get(name)),
                            new=_value(name, value),
                        )
                    )
    return out
