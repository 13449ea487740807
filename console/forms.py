"""Form pieces that more than one part of the console uses."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An action button: carries only the CSRF token."""


def show_refusal(form: FlaskForm, message, field: str | None) -> None:
    """A service's refusal shown next to the field it names, else above the form."""
    found = getattr(form, field, None) if field else None
    if found is not None and hasattr(found, "errors"):
        found.errors = [*found.errors, message]
    else:
        form.form_errors.append(message)
