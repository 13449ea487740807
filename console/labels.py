"""How the domain's values read on screen, defined once: roles, technician roles, complaint
statuses, pause reasons and call outcomes. Templates use ``{{ value|label }}`` (roles,
technician roles, statuses, pause reasons); code uses these maps. Lazy strings: each is
translated when shown, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from console.models import CallOutcome, ComplaintStatus, PauseReason, Role, TechnicianRole

ROLES = {
    Role.OPERATOR: _l("Operator"),
    Role.QC: _l("QC department"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ADMIN: _l("Admin"),
}

# DOMAIN.md, 000: the shop master answers for a workshop's work; a mechanic (or a marketplace's
# independent master, 003) for the job they did.
TECHNICIAN_ROLES = {
    TechnicianRole.MECHANIC: _l("Mechanic"),
    TechnicianRole.SHOP_MASTER: _l("Shop master"),
}

COMPLAINT_STATUSES = {
    ComplaintStatus.NEW: _l("new"),
    ComplaintStatus.IN_PROGRESS: _l("in progress"),
    ComplaintStatus.WAITING_CUSTOMER: _l("waiting for the customer"),
    ComplaintStatus.RESOLVED: _l("resolved"),
    ComplaintStatus.CLOSED: _l("closed"),
    ComplaintStatus.MERGED: _l("merged"),
}

# As a word inside a sentence ("on a break"); the buttons of the call screen have their own.
PAUSE_REASONS = {
    PauseReason.BREAK: _l("break"),
    PauseReason.TRAINING: _l("training"),
    PauseReason.TECHNICAL: _l("technical problem"),
}

# How an outcome reads afterwards ("Recorded: no answer."; the customer's earlier calls).
CALL_OUTCOMES = {
    CallOutcome.COMPLETED: _l("completed"),
    CallOutcome.NO_ANSWER: _l("no answer"),
    CallOutcome.BUSY: _l("busy"),
    CallOutcome.VOICEMAIL: _l("voicemail"),
    CallOutcome.WRONG_NUMBER: _l("wrong number"),
    CallOutcome.REFUSED: _l("refused"),
    CallOutcome.CALLBACK: _l("call back"),
    CallOutcome.DO_NOT_CALL: _l("do not call"),
    CallOutcome.UNREACHABLE: _l("unreachable"),
    CallOutcome.CANCELLED: _l("cancelled"),
    CallOutcome.NOT_SAMPLED: _l("not sampled"),
}

_BY_VALUE = {**ROLES, **TECHNICIAN_ROLES, **COMPLAINT_STATUSES, **PAUSE_REASONS}


def label(value):
    """The name of a role, a technician's role, a complaint status or a pause reason; anything
    else as it is."""
    return _BY_VALUE.get(value, value)
