from flask import render_template

from console.access import roles_required
from console.extensions import htmx
from console.models import Role
from console.reports import bp
from console.services.calls import stats as call_stats


@bp.get("/live")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def live_board():
    """Operators' states and the queue per client; the board re-polls its own block."""
    context = {
        "operators": call_stats.operator_states(),
        "queues": call_stats.queue_by_client(),
    }
    if htmx.target == "live-board":
        from jinja2_fragments.flask import render_block

        return render_block("reports/live_board.html", "board", **context)
    return render_template("reports/live_board.html", **context)
