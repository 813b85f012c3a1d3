"""The standards' expected failures."""

from __future__ import annotations

from queue_app.core.errors import NotFound


class NoStandard(NotFound):
    """This service has no published standard."""

    code = "no_standard"
