"""The clerk panel's read endpoint: waiting list, own tally and counter state in one answer."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented
from queue_app.api.shapes.counters import PanelView
from queue_app.core.lookups import get_counter
from queue_app.queue.panel import panel_view
from queue_app.staff.auth import require_counter, staff_required
from queue_app.staff.models import Role


@bp.get("/counters/<code>/queue")
@documented("What a clerk panel shows: waiting list, own tally, counter state", tags="counters", staff=True,
            responses={200: PanelView}, errors=(401, 403, 404))
@staff_required(Role.clerk, Role.admin)
def counter_queue(code: str):
    """What the panel of one counter shows; only for users who may act for that counter."""
    counter = get_counter(code)
    require_counter(counter)
    return jsonify(panel_view(counter, current_user._get_current_object()))
