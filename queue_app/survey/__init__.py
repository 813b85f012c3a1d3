"""The satisfaction survey (SKM, PermenPANRB 14/2017): one answer per visit, and the IKM report."""

from __future__ import annotations

from flask import Flask

from queue_app.core.extensions import socketio
from queue_app.queue import signals

from . import strings  # noqa: F401  (registers the survey screens' texts)

_registered = False


def init_app(app: Flask) -> None:
    """Register ``/survey`` (before ``socketio.init_app``) and offer the survey when a counter finishes a visit."""
    global _registered
    from .tablet import NAMESPACE, SurveyNamespace, on_ticket_finished

    if not _registered:
        _registered = True
        socketio.on_namespace(SurveyNamespace(NAMESPACE))
        signals.ticket_finished.connect(on_ticket_finished)
