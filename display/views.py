"""Hall display screens: ``/display?zone=lantai-1`` on a TV, full screen, live over Socket.IO."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from flask import Blueprint, abort, jsonify, render_template, request, send_from_directory, url_for

from queue_app.core.i18n import translate
from queue_app.core.site import current_site
from queue_app.queue.voice import recorded_file

from . import maklumat_strings, strings  # noqa: F401  (registers the screen text)

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
        # the maklumat loops in the media area too, so a site without a media folder still gets one
        "media": conf.media_dir is not None or bool(conf.maklumat),
        "media_seconds": conf.display.media_seconds,
    }
    return render_template("display/board.html", page=page, zone=zone, ikm=_published_ikm())


def _published_ikm() -> dict | None:
    """This month's IKM of the site when ``[display] show_ikm`` is on (the display keeps it fresh itself)."""
    from queue_app.core.formats import number
    from queue_app.core.site import today
    from queue_app.survey.operations import ikm, round2

    if not current_site().display.show_ikm:
        return None
    day = today()
    data = ikm(day.replace(day=1), day)
    value = None if data["ikm"] is None else number(round2(data["ikm"]), 2)  # 83,33 (id) / 83.33 (en)
    return {"value": value, "grade": data["grade"], "grade_label": data["grade_label"]}


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
        if recorded is not None and _inside(folder, recorded):
            return send_from_directory(folder, recorded.name, max_age=300)
    return send_from_directory(AUDIO_DIR, name, max_age=86400)


#: what the display loops, by extension: images as slides, videos played through (muted while a call speaks)
MEDIA_KINDS = {"png": "image", "jpg": "image", "jpeg": "image", "webp": "image", "gif": "image", "svg": "image",
               "mp4": "video", "webm": "video", "ogv": "video"}


def _inside(folder: Path, path: Path) -> bool:
    """``path`` is a file whose real location (symbolic links followed) is inside ``folder``.

    A link in the media or voice folder to ``/etc/…`` or to the database would otherwise be served to
    anyone who can reach the display's URLs; a link to another file of the folder is fine.
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link, a loop
        return False
    return real.is_file() and real.is_relative_to(folder.resolve())


def _media_files() -> list[str]:
    """The media folder's playable files in name order (the site numbers them to set the order); no subfolders,
    no file that a link takes out of the folder."""
    folder = current_site().media_dir
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if not p.name.startswith(".") and p.suffix.lower().lstrip(".") in MEDIA_KINDS and _inside(folder, p))


@bp.get("/media.json")
def media_list():
    """The loop's items; the display asks again now and then, so a file dropped in the folder joins the loop."""
    items = [{"url": url_for("display.media", name=n), "kind": MEDIA_KINDS[n.rsplit(".", 1)[-1].lower()],
              "name": n} for n in _media_files()]
    site = current_site()
    if site.maklumat:  # the Maklumat Pelayanan is shown where visitors wait (PermenPANRB 15/2014)
        items.append({"kind": "notice", "name": "maklumat", "title": translate(site.locale, "display.maklumat"),
                      "text": site.maklumat})
    return jsonify({"items": items})


@bp.get("/media/<name>")
def media(name: str):
    """One file of the media folder: only names the folder lists (no path, no hidden file, a known type)."""
    if name not in _media_files():
        abort(404)
    return send_from_directory(current_site().media_dir, name, max_age=300)
