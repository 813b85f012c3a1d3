"""Ending access everywhere at once: the ``access_ended`` event disconnects the sockets of a room.

Room membership is known only to the process a socket is connected to, and ``socketio.server.disconnect``
acts only there. An ``access_ended`` emit, however, travels like any emit: through the Redis message
queue to every process, which delivers it to its own members of the room. So the client manager below
treats that one event specially where it is delivered: it sends it (the panel can show why) and then
disconnects each local member of the room. With no message queue the same happens in the one process.

:func:`~queue_app.live.namespaces.sweep_staff` (and ``sweep_agents``) is the backstop for what no transaction announces: a bearer token that simply expired, a
key rotated from the command line of a site without a message queue. Housekeeping runs it every round.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio as sio

from queue_app.core import events
from queue_app.core.outbox import access_ended

from .direct import DirectSendManager

logger = logging.getLogger(__name__)

ACCESS_ENDED = str(access_ended)


class RevokingManager(DirectSendManager):
    """A client manager that disconnects the local members of a room sent ``access_ended``.

    Its emits go straight into idle WebSockets where it can (:mod:`queue_app.live.direct`). Every event a
    socket of this process gets passes here, so with ``check_shapes`` (``CHECK_SHAPES``: the tests) each
    payload is validated against its declaration (:func:`queue_app.core.events.check`).
    """

    check_shapes = False

    def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        room = to or room
        if self.check_shapes:
            events.check(event, data, namespace)
        if event != ACCESS_ENDED or room is None:
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        members = [sid for sid, _eio in self.get_participants(namespace, room)]
        if not members:
            return None
        super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kwargs)
        # not here: this may run inside the ending transaction's after-commit hook, and a disconnect
        # runs the namespace's handlers, which must get an app context (and session) of their own
        self.server.start_background_task(self._disconnect, namespace, room, members)
        return None

    def _disconnect(self, namespace: str, room: str, members: list[str]) -> None:
        for sid in members:
            logger.info("access ended (%s): disconnecting socket %s on %s", room, sid, namespace)
            try:
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
            except Exception:  # one socket's handler failing must not keep the others connected
                logger.exception("disconnecting %s failed", sid)


class RevokingRedisManager(sio.RedisManager, RevokingManager):
    """Through Redis: PubSubManager publishes, and its local delivery lands in :class:`RevokingManager`."""

    def emit(self, event: str, data: Any, namespace: str | None = None, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        """PubSubManager's emit with its two steps swapped: publish to the other processes, then send here.

        python-socketio sends to this process's own sockets first and publishes after, so the other
        processes started on a call's displays and phones only once this one had written to all of its own
        (about 15 µs a socket): with a thousand sockets each, the processes sent one after the other
        instead of side by side. The message is the one PubSubManager publishes; an emit with a callback or
        binary data, or one not meant for the queue, takes PubSubManager's own way.
        """
        args = list(data) if isinstance(data, tuple) else [data]
        if kwargs.get("ignore_queue") or callback is not None or sio.packet.Packet.data_is_binary(args):
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                callback=callback, to=to, **kwargs)
        message = {"method": "emit", "event": event, "data": args, "binary": False,
                   "namespace": namespace or "/", "room": to or room, "skip_sid": skip_sid, "callback": None,
                   "host_id": self.host_id}
        self._publish(message)  # the other processes' sends start while this one writes its own
        self._handle_emit(message)
        return None


def client_manager(message_queue: str | None, channel: str) -> sio.Manager:
    """The Socket.IO client manager for this site: Redis-backed when ``message_queue`` is a Redis URL."""
    if message_queue:
        if not message_queue.startswith(("redis://", "rediss://")):
            raise ValueError("server.message_queue must be a redis:// URL")
        # a Redis that does not answer must not hold a call's publish (and so this process's own sends, which
        # follow it) for the kernel's two minutes of connect retries; reads keep no timeout, since the
        # listener waits on an idle channel for as long as the hall is quiet
        return RevokingRedisManager(message_queue, channel=channel,
                                    redis_options={"socket_connect_timeout": REDIS_CONNECT_SECONDS})
    return RevokingManager()


#: how long connecting to the message queue's Redis may take before a publish gives up (and is logged)
REDIS_CONNECT_SECONDS = 2.0
