"""The counter tablet page ``/survey/<counter>``.

The tablet is a device enrolled by an admin on /admin/tablets (its browser keeps the counter's survey key in a
cookie); no staff session runs in front of visitors. Who may run it is decided by
:func:`queue_app.survey.tablet.require_tablet` alone. A browser that is not the tablet is told so (an admin is
sent to the page that enrols it). The page never shows answers: it only collects them.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from queue_app.core.i18n import current_lang
from queue_app.core.lookups import get_counter
from queue_app.staff.models import Role
from queue_app.survey.questionnaire import screen_data
from queue_app.survey.tablet import TabletRequired, may_run_tablet

bp = Blueprint("survey_tablet", __name__, url_prefix="/survey", template_folder="templates", static_folder="static")

#: seconds the thank-you stays up, and seconds without a touch before a half-answered survey is dropped
THANKS_SECONDS = 6
IDLE_SECONDS = 90


@bp.get("/<code>")
def tablet(code: str):
    counter = get_counter(code)
    if not may_run_tablet(counter):
        if current_user.is_authenticated and current_user.role is Role.admin:
            return redirect(url_for("admin.tablets"))
        raise TabletRequired()  # the page says it in the screen's language
    boot = {"counter": counter.code, "counter_name": counter.name, "thanks_seconds": THANKS_SECONDS,
            "idle_seconds": IDLE_SECONDS}
    return render_template("survey_tablet/tablet.html", counter=counter, boot=boot, csrf=generate_csrf(),
                           survey_data=screen_data(current_lang()))
