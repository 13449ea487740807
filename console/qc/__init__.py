from flask import Blueprint

bp = Blueprint("qc", __name__, url_prefix="/qc")

from console.qc import routes  # noqa: E402,F401
