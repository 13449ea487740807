from flask import Blueprint

bp = Blueprint("operator", __name__, url_prefix="/operator")

from console.operator import routes  # noqa: E402,F401
