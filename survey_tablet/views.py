"""The counter tablet page ``/survey/<counter>``.

For now a signed-in clerk of that counter (or an admin) opens it on the tablet; who may run it is decided
by :func:`queue_app.survey.tablet.require_tablet` alone, so device enrolment can replace it in one place.
The page never shows answers: it only collects them.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from flask_wtf.csrf import generate_csrf

from queue_app.core.i18n import current_lang
from queue_app.core.lookups import get_counter
from queue_app.survey.questionnaire import screen_data
from queue_app.survey.tablet import require_tablet

bp = Blueprint("survey_tablet", __name__, url_prefix="/survey", template_folder="templates", static_folder="static")

#: seconds the thank-you stays up, and seconds without a touch before a half-answered survey is dropped
THANKS_SECONDS = 6
IDLE_SECONDS = 90


@bp.get("/<code>")
@login_required
def tablet(code: str):
    counter = get_counter(code)
    require_tablet(counter)
    boot = {"counter": counter.code, "counter_name": counter.name, "thanks_seconds": THANKS_SECONDS,
            "idle_seconds": IDLE_SECONDS}
    return render_template("survey_tablet/tablet.html", counter=counter, boot=boot, csrf=generate_csrf(),
                           survey_data=screen_data(current_lang()))
