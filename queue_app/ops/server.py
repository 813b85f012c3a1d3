"""The embedded production server: gevent's WSGI server with WebSocket support, one process."""

from __future__ import annotations

import contextlib
import logging
import socket

from flask import Flask

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 30


def make_handler_class():  # noqa: ANN201
    """A pywsgi handler that disables Nagle: without TCP_NODELAY keep-alive answers stall ~40 ms."""
    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        def handle(self):  # noqa: ANN202
            with contextlib.suppress(OSError):  # unix sockets and the like
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

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
    return app


def serve(app: Flask, host: str, port: int) -> None:
    """Serve HTTP and Socket.IO until interrupted; run housekeeping in the background."""
    import gevent
    from gevent.pywsgi import WSGIServer

    if app.extensions["socketio"].server.eio.async_mode != "gevent":
        raise RuntimeError("mpp-queue serve needs Socket.IO async_mode 'gevent' (MPP_QUEUE_ASYNC_MODE)")
    prepare(app)
    server = WSGIServer((host, port), app, handler_class=make_handler_class(), log=None,
                        error_log=logging.getLogger("gevent.pywsgi"))
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
    from queue_app.booking import operations as booking_operations
    from queue_app.core.extensions import db
    from queue_app.queue import operations

    with app.app_context():
        try:
            operations.close_stale_tickets()
            db.session.commit()
            booking_operations.expire_bookings()
            db.session.commit()
            app.extensions["printing"].housekeeping()
        except Exception:  # keep the loop alive; the next round retries
            db.session.rollback()
            logger.exception("housekeeping failed")
