from flask import render_template
from flask_login import current_user

from console.access import roles_required
from console.models import Role
from console.operator import bp
from console.services import call_stats


@bp.get("/")
@roles_required(Role.OPERATOR)
def start():
    """The operator's start page: today's counts, the list waiting, callbacks."""
    return render_template(
        "operator/start.html",
        today=call_stats.operator_today(current_user),
        queue=call_stats.queue_summary(user=current_user),
    )
