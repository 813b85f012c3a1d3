"""``/privacy``: the site's privacy notice (``[privacy] notice``), how long names and numbers are kept, and
what the site stores (one line per registered table)."""

from __future__ import annotations

from flask import Blueprint, render_template

from queue_app.core.i18n import gettext
from queue_app.core.site import current_site

from .registry import registered

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def notice():
    conf = current_site().privacy
    paragraphs = [p.strip() for p in conf.notice.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return render_template("privacy/page.html", paragraphs=paragraphs, retain_days=conf.retain_days,
                           kinds=[gettext(d.label) for d in registered()])
