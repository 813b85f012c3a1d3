"""Clerk panel screens: pick a counter, then serve at it.

The pages are thin shells: the panel's JavaScript reads ``GET /api/counters/<code>/queue`` and acts
through the contract's counter API, so the browser and any other client share one set of rules.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from queue_app.core.errors import Forbidden
from queue_app.core.lookups import counters_with_current, get_counter
from queue_app.core.models import Counter
from queue_app.core.site import current_site
from queue_app.staff.auth import require_counter
from queue_app.staff.models import Role

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static")


def usable_counters() -> list[Counter]:
    """The counters the signed-in user may serve at (every counter for an admin)."""
    user = current_user._get_current_object()
    return [c for c in counters_with_current() if user.may_use_counter(c)]


@bp.get("/")
@login_required
def pick():
    """Choose a counter; a clerk with exactly one counter goes straight to it."""
    if current_user.role is Role.manager:
        raise Forbidden(text="counter_staff_only")
    counters = usable_counters()
    if current_user.role is Role.clerk and len(counters) == 1:
        return redirect(url_for("counter.panel", code=counters[0].code))
    return render_template("counter/pick.html", counters=counters)


@bp.get("/<code>")
@login_required
def panel(code: str):
    """The panel of one counter."""
    counter = get_counter(code)
    require_counter(counter)
    conf = current_site()
    boot: dict[str, Any] = {
        "counter": counter.code,
        "counter_name": counter.name,
        "csrf": generate_csrf(),
        "idle_minutes": conf.session_idle_minutes,
        "recall_warn_after": conf.recall_warn_after,
        "login_url": url_for("auth.login", next=url_for("counter.panel", code=counter.code)),
    }
    return render_template("counter/panel.html", counter=counter, boot=boot,
                           can_switch=len(usable_counters()) > 1)
