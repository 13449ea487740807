"""Periodic work on the call list."""

from __future__ import annotations

from console.jobs.context import job
from console.services.calls.generate import generate_due_calls


@job
def generate() -> str:
    """Add the follow-up calls of newly completed orders (idempotent)."""
    return str(generate_due_calls())
