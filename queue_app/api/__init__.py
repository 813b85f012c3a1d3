"""The JSON API under /api: parse and validate, call one engine verb, commit, serialize.

One module per audience; each registers its routes on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.after_request
def _no_store(resp: Response) -> Response:
    # live data: a proxy or the kiosk browser must never answer from a cache
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


# route registration: one module per audience (admin, panel: clerk panel and admin pages; printing: printers, reprint)
from queue_app.api import admin, auth, booking, counters, panel, printing, public, stats  # noqa: E402,F401
