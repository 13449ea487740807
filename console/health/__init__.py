"""``GET /healthz`` for load balancers and monitoring: liveness and readiness in one.

The console serves its users as long as it reaches its database: calls are claimed, saved and
submitted, sign-in is limited through database rows. Redis only carries follow-up jobs whose
rows wait for it. So a database failure is 503 (take this instance out), and Redis down is 200
with ``"status": "degraded"`` and ``"queue": "down"`` (keep serving; someone should look).
"""

from flask import Blueprint, jsonify

from console import jobs
from console.access import public
from console.database import ping
from console.extensions import csrf, db

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.get("/healthz")
@public
def healthz():
    """200 "ok" (or "degraded", naming what is down); 503 "error" when the database is down."""
    body = {"status": "ok", "db": "ok", "queue": jobs.queue_state()}
    try:
        ping()
        db.session.rollback()
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        body["db"] = f"error: {type(exc).__name__}"
    if body["db"] != "ok":
        body["status"] = "error"
        body["failing"] = ["db"]
        return jsonify(body), 503
    if body["queue"] == "down":
        body["status"] = "degraded"
        body["degraded"] = ["queue"]
    return jsonify(body), 200
