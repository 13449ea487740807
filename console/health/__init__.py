"""``GET /healthz`` for load balancers and monitoring."""

from flask import Blueprint, current_app, jsonify

from console.access import public
from console.database import ping
from console.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    """200 with every part "ok"; 503 naming the part that failed."""
    body = {"status": "ok", "db": "ok", "queue": "inline"}
    try:
        ping()
        db.session.rollback()
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        body["db"] = f"error: {type(exc).__name__}"
    redis = current_app.redis
    if redis is not None:
        try:
            redis.ping()
            body["queue"] = "ok"
        except Exception as exc:
            body["queue"] = f"error: {type(exc).__name__}"
    failing = [k for k in ("db", "queue") if body[k].startswith("error")]
    if failing:
        body["status"] = "error"
        body["failing"] = failing
        return jsonify(body), 503
    return jsonify(body), 200
