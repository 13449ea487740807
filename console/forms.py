"""Form pieces that more than one part of the console uses."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An action button: carries only the CSRF token."""
