from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from console.admin import api_tokens, clients, notifications, routes, scripts, technicians  # noqa: E402,F401
