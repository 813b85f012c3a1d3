"""Hall display screens: ``/display?zone=lantai-1`` on a TV, full screen, live over Socket.IO."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from flask import Blueprint, render_template, request, send_from_directory

from queue_app.core.site import current_site
from queue_app.queue.voice import recorded_file

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
    """Voice segments and the chime: the building's own recording (``[display] voice_dir``) when it has
    one for this name, else the built-in one. Built-ins are cached hard (they change only per release);
    a site's recordings for a short while, so a re-recorded word is heard the same day."""
    stem = PurePosixPath(name)
    folder = current_site().voice_dir
    # only "chime.mp3" and "id/<segment>.mp3" are replaceable; recorded_file accepts known names only
    if folder is not None and stem.suffix == ".mp3" and (stem.parent == PurePosixPath("id") or name == "chime.mp3"):
        recorded = recorded_file(folder, stem.stem)
        if recorded is not None:
            return send_from_directory(folder, recorded.name, max_age=300)
    return send_from_directory(AUDIO_DIR, name, max_age=86400)
