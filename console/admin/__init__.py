from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from console.admin import (  # noqa: E402,F401
    api_tokens,
    clients,
    customer_emails,
    notifications,
    orders,
    routes,
    scripts,
    technicians,
)
