"""Hall display screens."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

AUDIO_DIR = Path(__file__).parent / "audio"

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates", static_folder="static")


@bp.get("/audio/<path:name>")
def audio(name: str):
    """Pre-generated voice segments and the chime; cached hard because they never change per release."""
    return send_from_directory(AUDIO_DIR, name, max_age=86400)
