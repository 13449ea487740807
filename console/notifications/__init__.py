from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notices")

from console.notifications import routes  # noqa: E402,F401
