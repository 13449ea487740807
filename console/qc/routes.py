from flask import render_template, request

from console.access import roles_required
from console.models import Role
from console.qc import bp
from console.services import complaint_queries


@bp.get("/")
@roles_required(Role.QC, Role.SUPERVISOR)
def inbox():
    """The complaint inbox: open complaints, oldest deadline first."""
    page = complaint_queries.open_complaints(page=request.args.get("page", 1, type=int))
    return render_template("qc/inbox.html", page=page, counts=complaint_queries.counts())
