from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from console.reports import deadlines, overview, routes, technicians  # noqa: E402,F401
