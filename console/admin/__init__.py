from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from console.admin import routes, scripts  # noqa: E402,F401
