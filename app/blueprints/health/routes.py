"""GET /healthz for load balancers: database and search index reachable."""

from flask import Blueprint, jsonify

from app.extensions import limiter
from app.services.health import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 with every part "ok", else 503 naming the part that failed; never cached."""
    body, healthy = health()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
