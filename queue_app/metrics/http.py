"""``GET /metrics`` (only from ``[server] metrics_from``) and the HTTP request histogram.

Every request is timed from Flask's first hook to its response and observed under its URL rule
(``/api/tickets/<token>``, never the token itself), its method and its status; a path no rule matched is
``<unmatched>``. Socket.IO's own requests (``/socket.io/``) are answered before Flask and are counted by the
``mppq_sockets`` gauge instead.
"""

from __future__ import annotations

import ipaddress
import time
from functools import cache

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from queue_app.core.errors import Forbidden
from queue_app.core.extensions import socketio

from . import processes, series
from .gauges import DatabaseGauges

bp = Blueprint("metrics", __name__)

UNMATCHED = "<unmatched>"


@cache
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in allowed)


def allowed(address: str | None) -> bool:
    """Whether ``address`` is in ``[server] metrics_from``."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _networks(tuple(current_app.extensions["site"].metrics_from)))


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format: the whole site's counters and histograms, and gauges read now."""
    if not allowed(request.remote_addr):
        raise Forbidden("/metrics is read from the addresses of [server] metrics_from only.")
    refresh_sockets()
    registry = processes.registry()
    body = generate_latest(registry) + generate_latest(_database_registry())
    resp = Response(body, headers={"Cache-Control": "no-store"})
    resp.headers["Content-Type"] = CONTENT_TYPE_PLAIN_0_0_4  # the classic text format every Prometheus reads
    return resp


@cache
def _database_registry():  # noqa: ANN202
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry(auto_describe=False)
    reg.register(DatabaseGauges())
    return reg


def refresh_sockets() -> None:
    """This process's connected sockets per namespace, into its gauge (a scrape and housekeeping call it: the
    other processes' counts are as fresh as their last housekeeping round, 30 s)."""
    server = getattr(socketio, "server", None)
    if server is None:
        return
    rooms = server.manager.rooms
    # every namespace the server serves: one with no socket left is dropped from ``rooms``, and must read 0
    namespaces = set(getattr(server, "namespace_handlers", {})) | set(rooms) | _seen
    _seen.update(namespaces)
    for namespace in namespaces:
        members = rooms.get(namespace, {}).get(None, {})
        series.sockets.labels(namespace).set(len(members))


_seen: set[str] = set()


def start_timer() -> None:
    g.mppq_started = time.perf_counter()


def observe(response: Response) -> Response:
    started = g.pop("mppq_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        series.http_duration.labels(rule, request.method, str(response.status_code)).observe(
            time.perf_counter() - started)
    return response
