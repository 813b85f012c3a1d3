"""The embedded production server: gevent's WSGI server with WebSocket support, one process."""

from __future__ import annotations

import contextlib
import logging
import os
import socket

from flask import Flask

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 30
#: bytes of each connection's HTTP read buffer (see make_handler_class)
RFILE_BUFFER = 1024


def make_handler_class():  # noqa: ANN201
    """A pywsgi handler that disables Nagle (keep-alive answers stalled ~40 ms) and ends a WebSocket's connection."""
    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        def __init__(self, sock, address, server, rfile=None):  # noqa: ANN001
            # pywsgi's default 8 KiB read buffer stays with a connection for its life: 8 MB for 1,000
            # displays and phones whose WebSockets never read through it (simple-websocket reads the
            # socket itself). Request lines and headers read just as well through a smaller one.
            super().__init__(sock, address, server, rfile if rfile is not None else sock.makefile("rb", RFILE_BUFFER))

        def handle(self):  # noqa: ANN202
            with contextlib.suppress(OSError):  # unix sockets and the like
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

        def handle_one_response(self):  # noqa: ANN202
            super().handle_one_response()
            if self._connection_upgrade_requested():
                # the socket carried WebSocket frames, not HTTP: reading it as the next keep-alive request
                # logged the client's close frame as "Invalid HTTP method" and left it waiting ~3 s
                self.close_connection = True

    return NoDelayHandler


class NoWebSocketCompression:
    """WSGI middleware that hides the client's ``Sec-WebSocket-Extensions`` offer.

    simple-websocket (engineio's WebSocket under gevent without gevent-websocket) always accepts
    permessage-deflate when a browser offers it, and every socket then keeps its own zlib state:
    measured ~100 KB per socket (500 displays: +87 MB instead of +34 MB). Our messages are a few
    hundred bytes on a LAN, so compression buys nothing; without the offer no extension is negotiated.
    """

    def __init__(self, wsgi_app) -> None:  # noqa: ANN001
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


def prepare(app: Flask) -> Flask:
    """Production tweaks shared by ``mpp-queue serve`` and the gunicorn worker (gunicorn.conf.py)."""
    if not isinstance(app.wsgi_app, NoWebSocketCompression):
        app.wsgi_app = NoWebSocketCompression(app.wsgi_app)
    import gevent

    # gevent records, for every greenlet, who spawned it and the spawner's stack (a debugging aid): ~2.5 KB
    # kept per connected socket, and work on every spawn (gevent's own docs on this setting)
    gevent.config.track_greenlet_tree = False
    settle_startup_objects()
    return app


def settle_startup_objects() -> None:
    """Put everything built at start (modules, mappers, compiled statements, the site) out of the cyclic
    collector's reach.

    A full collection walks every tracked object of the process: ~65–80 ms here with the app loaded, a
    pause that each request in flight and each socket push waits out (bench/queue_growth.py's p99). After
    :func:`gc.freeze` it walks only what requests have made since (~4 ms). These objects live as long as
    the process, so nothing the collector could free is hidden from it.
    """
    import gc

    gc.collect()
    gc.freeze()


#: concurrent connections per server process when MPP_QUEUE_WORKER_CONNECTIONS is not set (as gunicorn.conf.py)
DEFAULT_CONNECTIONS = 4000


def connection_limit() -> int:
    """Concurrent connections one process serves (``MPP_QUEUE_WORKER_CONNECTIONS``, default 4000).

    Every open WebSocket counts: size it for the displays, phones and panels of the hall, plus headroom.
    """
    try:
        return max(1, int(os.environ.get("MPP_QUEUE_WORKER_CONNECTIONS", DEFAULT_CONNECTIONS)))
    except ValueError:
        return DEFAULT_CONNECTIONS


def serve(app: Flask, host: str, port: int) -> None:
    """Serve HTTP and Socket.IO until interrupted; run housekeeping in the background."""
    import gevent
    from gevent.pywsgi import WSGIServer

    if app.extensions["socketio"].server.eio.async_mode != "gevent":
        raise RuntimeError("mpp-queue serve needs Socket.IO async_mode 'gevent' (MPP_QUEUE_ASYNC_MODE)")
    from queue_app.ops.backup import hold_server_lock

    prepare(app)
    hold_server_lock(app.config["SQLALCHEMY_DATABASE_URI"])  # already held when started by `mpp-queue serve`
    from gevent.pool import Pool

    # past the cap the server stops accepting until a connection ends: new ones wait in the kernel's
    # backlog instead of each taking memory and a greenlet (gunicorn: worker_connections, same variable)
    server = WSGIServer((host, port), app, handler_class=make_handler_class(), log=None,
                        error_log=logging.getLogger("gevent.pywsgi"), spawn=Pool(connection_limit()))
    gevent.spawn(housekeeping_loop, app)
    logger.info("Serving %s on http://%s:%d", app.extensions["site"].name, host, port)
    server.serve_forever()


def housekeeping_loop(app: Flask) -> None:
    """Close tickets from earlier days, expire unused bookings, check printers, retry or expire print jobs."""
    import gevent

    while True:
        housekeeping(app)
        gevent.sleep(HOUSEKEEPING_SECONDS)


def housekeeping(app: Flask) -> None:
    """One round: stale tickets, the kept waiting counts, expired tokens (and their sockets), sockets whose
    access ended, printers."""
    from queue_app.booking import operations as booking_operations
    from queue_app.core.extensions import db
    from queue_app.core.site import today
    from queue_app.live.namespaces import sweep_staff
    from queue_app.metrics.http import refresh_sockets
    from queue_app.printing.agents import sweep_agents
    from queue_app.privacy.operations import purge_if_due
    from queue_app.queue import counts, rollover
    from queue_app.staff.auth import purge_expired_tokens, purge_idle_sessions
    from queue_app.survey.tablet import sweep_tablets

    with app.app_context():
        try:
            rollover.close_stale_tickets()
            db.session.commit()
            counts.check_today(today())
            db.session.commit()
            purge_expired_tokens()
            purge_idle_sessions()
            db.session.commit()
            sweep_staff()
            sweep_agents()
            sweep_tablets()
            refresh_sockets()
            db.session.rollback()
            booking_operations.expire_bookings()
            db.session.commit()
            purge_if_due()  # names and phone numbers past [privacy] retain_days, once a day
            app.extensions["printing"].housekeeping()
        except Exception:  # keep the loop alive; the next round retries
            db.session.rollback()
            logger.exception("housekeeping failed")
