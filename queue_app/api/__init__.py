"""The JSON API under /api: parse and validate, call one engine verb, commit, serialize.

One module per audience; each registers its routes on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _json_bodies_only() -> None:
    # every endpoint, even one that ignores its body: a cross-site form must not reach any of them.
    # A ticket request is first asked who it is (401 before 415: the contract's answer to an anonymous
    # caller does not depend on how it spelled its body)
    from queue_app.api.parsing import require_json_media_type
    from queue_app.api.takers import refuse_anonymous

    if request.endpoint in ("api.create_ticket", "api.check_in"):
        refuse_anonymous()
    require_json_media_type()


@bp.after_request
def _no_store(resp: Response) -> Response:
    # live data: a proxy or the kiosk browser must never answer from a cache
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


# route registration: one module per audience (admin, panel: clerk panel and admin pages; printing: printers, reprint)
from queue_app.api import (  # noqa: E402,F401
    admin,
    auth,
    booking,
    counters,
    panel,
    password,
    printing,
    public,
    site_days,
    stats,
    survey,
)
