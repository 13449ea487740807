from flask import current_app, render_template

from console.access import roles_required
from console.extensions import htmx
from console.models import Role, utcnow
from console.reports import bp
from console.services.calls import stats as call_stats
from console.services.complaints import deadline_report

OVERDUE_SHOWN = 10


@bp.get("/live")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def live_board():
    """Operators' states, the queue per client and the complaints overdue now (SCREENS.md,
    the live board); the board re-polls its own block."""
    now = utcnow()
    context = {
        "operators": call_stats.operator_states(
            now, session_lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"]
        ),
        "queues": call_stats.queue_by_client(now),
        "overdue": deadline_report.overdue_complaints(now=now, limit=OVERDUE_SHOWN + 1),
        "overdue_shown": OVERDUE_SHOWN,
        "now": now,
    }
    if htmx.target == "live-board":
        from jinja2_fragments.flask import render_block

        return render_block("reports/live_board.html", "board", **context)
    return render_template("reports/live_board.html", **context)
