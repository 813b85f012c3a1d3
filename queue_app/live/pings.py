"""Engine.IO's pings from timers of gevent's event loop, not from a sleeping greenlet per socket.

This and :mod:`queue_app.live.direct` are the two places that reach into python-engineio's internals
(``Socket.schedule_ping``, ``Socket.last_ping``, a server's ``_async`` driver table); the versions they were
written for are pinned in requirements/constraints.txt, and ``tests/live/test_direct_send.py`` fails by name when an
upgrade moves what they rely on.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from engineio import packet as eio_packet
from engineio import socket as eio_socket


def install_timer_pings(eio: Any) -> None:
    """Ping each socket from a timer of the event loop instead of a greenlet that sleeps for it.

    Engine.IO keeps one greenlet per socket asleep for the ping interval (25 s), with its saved stack and
    its own frame stack: ~8–10 KB of memory for each connected display and phone (docs/performance.md). A
    libev timer holds none of that; when it fires, a short-lived greenlet sends the ping exactly as
    Engine.IO's own would. Only servers marked here take this way (Engine.IO's class is shared).
    """
    eio.timer_pings = True
    if getattr(eio_socket.Socket.schedule_ping, "timer_pings", False):
        return
    original = eio_socket.Socket.schedule_ping

    def schedule_ping(sock: Any) -> None:
        if not getattr(sock.server, "timer_pings", False):
            return original(sock)
        if sock.last_ping:  # as Engine.IO: a new ping only once the previous one was answered
            sock.last_ping = None
            timer = gevent.get_hub().loop.timer(sock.server.ping_interval, ref=False)
            timer.start(_ping_due, sock, timer)
        return None

    schedule_ping.timer_pings = True  # type: ignore[attr-defined]
    eio_socket.Socket.schedule_ping = schedule_ping


def _ping_due(sock: Any, timer: Any) -> None:
    """In the event loop: hand the ping to a greenlet (sending may close the socket, which runs handlers)."""
    timer.close()
    gevent.spawn(_ping, sock)


def _ping(sock: Any) -> None:
    """Engine.IO's ``Socket._send_ping`` after its sleep."""
    if not sock.closing and not sock.closed:
        sock.last_ping = time.time()
        sock.send(eio_packet.Packet(eio_packet.PING))
