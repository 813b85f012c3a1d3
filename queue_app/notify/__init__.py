"""Notices to visitors by WhatsApp (Business Cloud API) or an SMS/WhatsApp gateway called by URL (docs/notify.md).

A message is written in the transaction of the change that causes it (:mod:`.record`, listening to the ticket's
and the booking's signals), sent after commit by each server process's sender (:mod:`.sender`) through the
site's provider (:mod:`.providers`); WhatsApp's webhooks move it on (:mod:`.handlers`). Staff tell everyone
waiting with :func:`notify_waiting`.
"""

from __future__ import annotations

from flask import Flask

from .operations import notify_waiting
from .record import come_now, send_reminders
from .sender import health

__all__ = ["come_now", "health", "init_app", "notify_waiting", "send_reminders"]

_connected = False


def init_app(app: Flask) -> None:
    """Listen to the ticket's and the booking's signals (once per process); the sender starts with the server
    (queue_app.ops.server), not with every app."""
    global _connected
    from . import strings  # noqa: F401  (the texts of the gateway's messages and the errors)

    if not _connected:
        _connected = True
        from . import staff_notice
        from .record import connect

        connect()
        staff_notice.connect()
