"""Hall display screens: ``/display?zone=lantai-1`` on a TV, full screen, live over Socket.IO."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, request, send_from_directory

from queue_app.core.site import current_site

from . import strings  # noqa: F401  (registers the screen text)

AUDIO_DIR = Path(__file__).parent / "audio"

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates", static_folder="static")


@bp.get("", strict_slashes=False)
@bp.get("/")
def board():
    """The hall display; the board itself arrives over the socket (``board`` on every connect)."""
    conf = current_site()
    zone = request.args.get("zone") or None
    if zone is not None and zone not in conf.zones:
        return render_template("display/unknown_zone.html", zone=zone, zones=list(conf.zones)), 404
    page = {
        "zone": zone,
        "voice": conf.display.voice,
        "site": conf.name,
    }
    return render_template("display/board.html", page=page, zone=zone)


@bp.get("/audio/<path:name>")
def audio(name: str):
    """Pre-generated voice segments and the chime; cached hard because they never change per release."""
    return send_from_directory(AUDIO_DIR, name, max_age=86400)
