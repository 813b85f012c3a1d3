"""The API about itself: health for monitoring, and its OpenAPI description."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify
from sqlalchemy.exc import DBAPIError

from queue_app.api import bp
from queue_app.api.declare import documented
from queue_app.api.shapes import Health, HealthDown
from queue_app.core.extensions import db
from queue_app.core.site import current_site


@bp.get("/health")
@documented("Database and printer health", tags="public", responses={200: Health, 503: HealthDown})
def health():
    """Liveness for monitoring: 503 when the database is gone, ``degraded`` when a printer is not ok."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except DBAPIError as exc:
        db.session.rollback()
        return jsonify({
            "error": {"code": "database_unavailable", "message": "The database is not reachable."},
            "status": "degraded",
            "database": f"error: {exc.orig.__class__.__name__}",
            "printers": {p.code: "unknown" for p in current_site().printers},
        }), 503
    printers = current_app.extensions["printing"].states()
    degraded = any(state != "ok" for state in printers.values())
    return jsonify({"status": "degraded" if degraded else "ok", "database": database, "printers": printers})


@bp.get("/openapi.json")
def openapi():
    """This API described in OpenAPI 3."""
    from queue_app.api.openapi import spec

    return jsonify(spec())
