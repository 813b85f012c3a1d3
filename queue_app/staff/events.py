"""Staff's Socket.IO events: what an admin changes that the hall displays show at once."""

from __future__ import annotations

from typing import Literal

from queue_app.api.declare import Answer
from queue_app.core.events import declare
from queue_app.core.outbox import record
from queue_app.core.site import current_site

#: declared with the queue's namespaces (queue_app.queue.events)
DISPLAY = "/display"


class Notice(Answer):
    title: str
    text: str


class SettingsChanged(Answer):
    """What changed for the displays: the running text, today's closure, the notices, or one service."""

    kind: Literal["running_text", "closure", "notices", "service"]
    running_text: str | None = None
    #: ``closure``: the reason today is closed, or null when it opened again
    closed: str | None = None
    notices: list[Notice] | None = None
    service: str | None = None
    open: bool | None = None
    closed_message: str | None = None


settings_changed = declare("settings_changed", DISPLAY, payload=SettingsChanged,
                           summary="An admin changed what the displays show (running text, closure, notices, a "
                                   "service closed or opened).")


def to_every_zone(payload: dict) -> None:
    """Record ``settings_changed`` for every zone's displays (an all-zones display may get it once per zone:
    applying it twice changes nothing)."""
    for zone in current_site().zones:
        record(settings_changed, payload, namespace=DISPLAY, to=f"zone:{zone}")
