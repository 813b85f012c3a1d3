"""The clerk panel's read endpoint: waiting list, own tally and counter state in one answer."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from .. import engine
from ..auth import require_counter, staff_required
from ..models import Role
from ..panel import panel_view
from . import bp


@bp.get("/counters/<code>/queue")
@staff_required(Role.clerk, Role.admin)
def counter_queue(code: str):
    """What the panel of one counter shows; only for users who may act for that counter."""
    counter = engine.get_counter(code)
    require_counter(counter)
    return jsonify(panel_view(counter, current_user._get_current_object()))
