"""Clerk panel screens."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static")
