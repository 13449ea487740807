"""A Russian-speaking user never meets an untranslated interface string."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "console/translations/ru/LC_MESSAGES/messages.po"


def test_every_interface_string_has_a_russian_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        source = read_po(f)
    with CATALOG.open("rb") as f:
        russian = read_po(f, locale="ru")
    assert len(source) > 100  # the extraction really ran over console/ and templates/
    missing = []
    for message in source:
        if not message.id:
            continue
        translated = russian.get(message.id)
        strings = translated.string if translated else None
        if isinstance(strings, tuple):
            ok = all(strings) and len(strings) == russian.num_plurals
        else:
            ok = bool(strings)
        if not ok or (translated and translated.fuzzy):
            missing.append(message.id)
    assert missing == [], "run `make messages` and translate these"


def test_a_page_and_an_email_in_another_language_in_one_request(app):
    """Templates translate through a per-request cache keyed by the language: an email
    rendered in its recipient's language inside a Russian request is not served Russian."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert render_template_string("{{ _('Live board') }}") == "Онлайн-панель"
        with force_locale("en"):
            assert render_template_string("{{ _('Live board') }}") == "Live board"
        assert render_template_string("{{ _('Live board') }}") == "Онлайн-панель"


def test_no_string_is_in_the_russian_catalogue_twice():
    """Two entries of one string (each appended with its own change) make gettext's tools refuse
    the catalogue and leave which translation wins to chance."""
    seen, twice = set(), []
    context = key = None
    for line in [*CATALOG.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid "):
            key = [line]
        elif key is not None and line.startswith('"'):
            key.append(line)
        elif key is not None:  # msgstr or a blank line ends the id
            entry = (context, "".join(key))
            if entry != (None, 'msgid ""'):  # the header
                if entry in seen:
                    twice.append(entry)
                seen.add(entry)
            context = key = None
    assert twice == []
