"""Live screens over Socket.IO: the namespaces, and the publisher of what each committed transaction recorded."""

from __future__ import annotations

from flask import Flask

from queue_app.core import signals
from queue_app.core.extensions import socketio

from . import publisher
from .namespaces import CounterNamespace, DashboardNamespace, DisplayNamespace, TicketNamespace
from .watchers import watchers

_registered = False


def init_app(app: Flask, message_queue: str | None = None) -> None:
    """Register the namespaces once (a later ``socketio.init_app`` picks them up) and listen for commits.

    :param message_queue: the Redis shared by several processes; phones' watcher counts live there too.
    """
    global _registered
    watchers.use_redis(message_queue)
    if not _registered:
        _registered = True
        socketio.on_namespace(DisplayNamespace("/display"))
        socketio.on_namespace(TicketNamespace("/ticket"))
        socketio.on_namespace(CounterNamespace("/counter"))
        socketio.on_namespace(DashboardNamespace("/dashboard"))
        signals.committed.connect(publisher.publish)
