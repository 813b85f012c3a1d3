"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py "queue_app.wsgi:app"``.

One gevent worker per gunicorn process. Socket.IO keeps per-connection state in the process
that accepted the connection (and long-polling sends several requests per session), so
gunicorn must not spread one client over several workers. To use more cores, start several
gunicorn processes on different ports (MPP_QUEUE_BIND=127.0.0.1:8001, :8002, ...) behind nginx
with ``hash $remote_addr consistent`` (sticky sessions) and set ``server.message_queue`` to Redis so a call made
through one process reaches displays connected to another. See docs/deploy.md.
"""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("MPP_QUEUE_BIND", "127.0.0.1:8000")
worker_class = "gevent"
workers = 1  # never more with Socket.IO: see the docstring
worker_connections = int(os.environ.get("MPP_QUEUE_WORKER_CONNECTIONS", "4000"))
# WebSockets stay open for hours; the gevent worker's timeout is about the worker's heartbeat only
timeout = 60
graceful_timeout = 20
# gunicorn's gevent worker closes a connection that has not sent a whole request line and headers within
# `keepalive` seconds of waiting for it (an idle keep-alive one too): each worker sets it to config.toml's
# [server] header_timeout_seconds (post_worker_init, queue_app.ops.server.guard_gunicorn_worker)
keepalive = 10
accesslog = os.environ.get("MPP_QUEUE_ACCESS_LOG") or None

#: a visitor's token in a path or query; the same rule as queue_app.core.errors.redact (not imported here:
#: the master process must not import the app before gevent patches the worker)
_TOKEN_IN_PATH = re.compile(r"(/t/|/api/tickets/|/api/complaints/|/pengaduan/|[?&]token=)[^/?&#\s]+")


class TokenRedactingLogger(Logger):
    """The access log names ``/t/<token>``, never a visitor's token (logs outlive tickets, more people read them)."""

    def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: _TOKEN_IN_PATH.sub(r"\1<token>", v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = TokenRedactingLogger
errorlog = "-"
loglevel = os.environ.get("MPP_QUEUE_LOG_LEVEL", "info")
proc_name = "mpp-queue"
# the app (and its database pool, Redis listener) is created in the worker after gevent patched it
preload_app = False
# gunicorn sets TCP_NODELAY on the listener and Linux copies it to accepted sockets
forwarded_allow_ips = os.environ.get("MPP_QUEUE_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25+ opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl or $XDG_RUNTIME_DIR):
# the processes of mpp-queue@8001, @8002 (docs/deploy.md) would fight over it, and nothing here uses gunicornc
control_socket_disable = True


def post_worker_init(worker) -> None:  # noqa: ANN001
    """Same production tweaks as ``mpp-queue serve``: no per-socket WebSocket compression, the header timeout
    and the per-address connection cap, housekeeping."""
    import gevent

    from queue_app.ops.server import guard_gunicorn_worker, housekeeping_loop, prepare

    app = worker.wsgi
    prepare(app)
    guard_gunicorn_worker(worker)
    gevent.spawn(housekeeping_loop, app)


def on_starting(server) -> None:  # noqa: ANN001
    os.environ.setdefault("MPP_QUEUE_ASYNC_MODE", "gevent")
