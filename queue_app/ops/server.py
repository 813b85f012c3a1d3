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


def make_handler_class(header_timeout: float | None = None):  # noqa: ANN201
    """A pywsgi handler that disables Nagle (keep-alive answers stalled ~40 ms), ends a WebSocket's connection
    and closes a connection that does not send its request line and headers within ``header_timeout`` seconds.

    The deadline runs from the moment the server waits for a request (a new connection, or a keep-alive one
    after its last answer) until the headers are read, whatever the client trickles meanwhile; it is off
    while the app answers, so a long-polling answer, a streamed download or an upgraded WebSocket (which
    lives inside its request) is never cut. pywsgi alone waits forever: a few thousand half-open sockets
    held every place of the pool (issue 30).
    """
    import gevent
    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        _headers_timer: gevent.Timeout | None = None

        def __init__(self, sock, address, server, rfile=None):  # noqa: ANN001
            # pywsgi's default 8 KiB read buffer stays with a connection for its life: 8 MB for 1,000
            # displays and phones whose WebSockets never read through it (simple-websocket reads the
            # socket itself). Request lines and headers read just as well through a smaller one.
            super().__init__(sock, address, server, rfile if rfile is not None else sock.makefile("rb", RFILE_BUFFER))

        def handle(self):  # noqa: ANN202
            with contextlib.suppress(OSError):  # unix sockets and the like
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

        def handle_one_request(self):  # noqa: ANN202
            if not header_timeout:
                return super().handle_one_request()
            timer = self._headers_timer = gevent.Timeout(header_timeout)
            timer.start()
            try:
                return super().handle_one_request()
            except gevent.Timeout as exc:
                if exc is not timer:
                    raise
                return None  # the loop ends and closes the connection; nothing is answered
            finally:
                timer.close()
                self._headers_timer = None

        def read_request(self, raw_requestline):  # noqa: ANN001, ANN202
            try:
                return super().read_request(raw_requestline)
            finally:
                if self._headers_timer is not None:  # headers read (or refused): the app's time is its own
                    self._headers_timer.cancel()

        def handle_one_response(self):  # noqa: ANN202
            super().handle_one_response()
            if self._connection_upgrade_requested():
                # the socket carried WebSocket frames, not HTTP: reading it as the next keep-alive request
                # logged the client's close frame as "Invalid HTTP method" and left it waiting ~3 s
                self.close_connection = True

    return NoDelayHandler


class ConnectionsPerAddress:
    """Counts one server process's open connections per client address and refuses those past ``cap``.

    Checked when a connection is accepted, before a greenlet or a read buffer is spent on it: one laptop
    opening thousands of sockets gets ``cap`` of them, and the pool's other places stay for everybody else.
    """

    #: seconds between two log lines about the same address
    WARN_EVERY = 60.0

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: dict[str, int] = {}
        self.refused = 0
        self._warned: dict[str, float] = {}

    @staticmethod
    def key(address: object) -> str | None:
        """The client's address (without the port); None for a Unix socket, which is never capped."""
        if isinstance(address, tuple) and address:
            return str(address[0])
        return None

    def enter(self, address: object) -> bool:
        """Count a new connection from ``address``; False (not counted) when the address is at the cap."""
        key = self.key(address)
        if key is None:
            return True
        held = self.open.get(key, 0)
        if held >= self.cap:
            self.refused += 1
            self._warn(key)
            return False
        self.open[key] = held + 1
        return True

    def leave(self, address: object) -> None:
        """A connection counted by :meth:`enter` has ended."""
        key = self.key(address)
        if key is None or key not in self.open:
            return
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]

    def _warn(self, key: str) -> None:
        import time

        now = time.monotonic()
        if now - self._warned.get(key, -self.WARN_EVERY) < self.WARN_EVERY:
            return
        if len(self._warned) > 1000:  # a scan from many addresses must not grow this forever
            self._warned.clear()
        self._warned[key] = now
        logger.warning("%s holds %d connections, the most one address may ([server] connections_per_address); "
                       "refusing more", key, self.cap)


def connection_guard(app: Flask) -> ConnectionsPerAddress | None:
    """The per-address connection cap of this site, or None when there is none.

    Behind a reverse proxy (``[server] trusted_proxies`` > 0) every connection comes from the proxy, so the
    cap would be one for the whole hall: nginx's ``limit_conn`` applies it per real client instead
    (docs/deploy.md).
    """
    site = app.extensions["site"]
    if not site.connections_per_address or site.trusted_proxies:
        return None
    return ConnectionsPerAddress(site.connections_per_address)


def make_server_class():  # noqa: ANN201
    """gevent's WSGIServer with :class:`ConnectionsPerAddress` checked at accept."""
    from gevent.pywsgi import WSGIServer

    class GuardedWSGIServer(WSGIServer):
        def __init__(self, *args, guard: ConnectionsPerAddress | None = None, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            self.guard = guard

        def do_handle(self, sock, address):  # noqa: ANN001, ANN202
            if self.guard is not None and not self.guard.enter(address):
                sock.close()  # refused before a greenlet, a buffer or a place of the pool is spent on it
                return
            super().do_handle(sock, address)

        def do_close(self, sock, address):  # noqa: ANN001, ANN202
            try:
                super().do_close(sock, address)
            finally:
                if self.guard is not None:
                    self.guard.leave(address)

    return GuardedWSGIServer


def guard_gunicorn_worker(worker) -> None:  # noqa: ANN001
    """Give a gunicorn gevent worker the same header timeout and per-address cap as ``mpp-queue serve``.

    gunicorn's gevent worker already bounds the reading of each request's line and headers by its
    ``keepalive`` setting (``gevent.Timeout(cfg.keepalive)`` around the parser, the first request
    included): it becomes ``[server] header_timeout_seconds``. The cap wraps the worker's connection
    handler, which its StreamServer spawns per accepted connection.
    """
    app = worker.wsgi
    worker.cfg.set("keepalive", app.extensions["site"].header_timeout_seconds)
    guard = connection_guard(app)
    worker.connection_guard = guard
    worker.log.info("Request headers within %d s; %s", worker.cfg.keepalive,
                    f"at most {guard.cap} connections per client address" if guard else "no per-address connection cap")
    if guard is None:
        return
    handle = worker.handle

    def guarded(listener, client, addr):  # noqa: ANN001, ANN202
        if not guard.enter(addr):
            client.close()
            return None
        try:
            return handle(listener, client, addr)
        finally:
            guard.leave(addr)

    worker.handle = guarded  # GeventWorker.run binds self.handle after post_worker_init


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


#: connections the kernel queues before the server accepts them: gunicorn's default. gevent's own (128)
#: dropped the SYNs of a 300-socket burst (each dropped one retried a second later) — a flood's sockets and a
#: hall of displays reconnecting after a restart alike
LISTEN_BACKLOG = 2048

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

    if app.extensions["socketio"].server.eio.async_mode != "gevent":
        raise RuntimeError("mpp-queue serve needs Socket.IO async_mode 'gevent' (MPP_QUEUE_ASYNC_MODE)")
    from queue_app.ops.backup import hold_server_lock

    prepare(app)
    hold_server_lock(app.config["SQLALCHEMY_DATABASE_URI"])  # already held when started by `mpp-queue serve`
    from gevent.pool import Pool

    # past the cap the server stops accepting until a connection ends: new ones wait in the kernel's
    # backlog instead of each taking memory and a greenlet (gunicorn: worker_connections, same variable)
    site = app.extensions["site"]
    guard = connection_guard(app)
    server = make_server_class()((host, port), app, handler_class=make_handler_class(site.header_timeout_seconds),
                                 log=None, error_log=logging.getLogger("gevent.pywsgi"),
                                 spawn=Pool(connection_limit()), guard=guard, backlog=LISTEN_BACKLOG)
    gevent.spawn(housekeeping_loop, app)
    logger.info("Serving %s on http://%s:%d", app.extensions["site"].name, host, port)
    logger.info("Request headers within %d s; %s", site.header_timeout_seconds,
                f"at most {guard.cap} connections per client address" if guard else
                "no per-address connection cap" + (" (behind a proxy: its limit_conn)" if site.trusted_proxies else ""))
    server.serve_forever()


def housekeeping_loop(app: Flask) -> None:
    """Close tickets from earlier days, expire unused bookings, check printers, retry or expire print jobs; keep
    the clerk panels' presence in its own loop (a slow printer round must not let a staffed counter expire)."""
    import gevent

    gevent.spawn(presence_loop, app)
    from queue_app.notify.sender import start as start_notices

    start_notices(app)  # the notices' sender: queued messages go to the provider (docs/notify.md)
    while True:
        housekeeping(app)
        gevent.sleep(HOUSEKEEPING_SECONDS)


def presence_loop(app: Flask) -> None:
    """Every ``KEEP_SECONDS``: this process's clerk panels stay on duty, expired ones of dead processes go
    (queue_app.queue.presence)."""
    import gevent

    from queue_app.live.namespaces import keep_panels
    from queue_app.queue.presence import KEEP_SECONDS

    while True:
        with app.app_context():
            try:
                keep_panels()
            except Exception:  # the next round retries; rows last PRESENCE_TTL, several rounds
                logger.exception("keeping the panels' presence failed")
        gevent.sleep(KEEP_SECONDS)


def housekeeping(app: Flask) -> None:
    """One round: stale tickets, the kept waiting counts, expired tokens (and their sockets), sockets whose
    access ended, printers."""
    from queue_app.booking import operations as booking_operations
    from queue_app.core.extensions import db
    from queue_app.core.site import today
    from queue_app.live.namespaces import sweep_staff
    from queue_app.metrics.http import refresh_sockets
    from queue_app.notify import send_reminders
    from queue_app.printing.agents import sweep_agents
    from queue_app.privacy.operations import purge_if_due
    from queue_app.queue import counts, remote, rollover
    from queue_app.staff.auth import purge_expired_tokens, purge_idle_sessions
    from queue_app.survey.tablet import sweep_tablets

    with app.app_context():
        try:
            rollover.close_stale_tickets()
            db.session.commit()
            remote.lapse_due()  # tickets from afar passed over longer than hold_minutes: no-shows
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
            send_reminders()  # bookings' reminders: 16:00 the day before, an hour before the slot
            db.session.commit()
            purge_if_due()  # names and phone numbers past [privacy] retain_days, once a day
            app.extensions["printing"].housekeeping()
        except Exception:  # keep the loop alive; the next round retries
            db.session.rollback()
            logger.exception("housekeeping failed")
