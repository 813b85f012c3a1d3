"""A cap on Socket.IO connections per client address, per server process.

A script on the guest Wi-Fi can open sockets faster than it costs it anything, and each one holds memory,
a greenlet and a room entry on the server. Engine.IO's ``connect`` event (one per socket, whatever the
namespaces) refuses the connection past :func:`limit` from one address; its ``disconnect`` gives the place
back. The refusal is Engine.IO's 401 with the contract's error body (code ``too_many_connections``).

``MPP_QUEUE_SOCKETS_PER_ADDRESS`` (environment) sets the cap; ``0`` turns it off, for load tests that open
a thousand sockets from one address. Behind nginx the address is the one ProxyFix restored
(``[server] trusted_proxies``), as long as ProxyFix wraps the Socket.IO middleware.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

#: a phone reloading its page, a display with two tabs, a counter PC with panel and dashboard fit easily
DEFAULT_PER_ADDRESS = 32


def limit() -> int:
    """The cap from ``MPP_QUEUE_SOCKETS_PER_ADDRESS`` (0 = none)."""
    try:
        return max(0, int(os.environ.get("MPP_QUEUE_SOCKETS_PER_ADDRESS", DEFAULT_PER_ADDRESS)))
    except ValueError:
        return DEFAULT_PER_ADDRESS


class SocketsPerAddress:
    """Counts open Engine.IO sessions per ``REMOTE_ADDR`` and refuses those over ``cap``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: Counter[str] = Counter()
        self._addr_of: dict[str, str] = {}
        self._lock = threading.Lock()  # threading mode in tests; under gevent it costs nothing

    def install(self, eio: Any) -> None:
        """Wrap the Socket.IO server's Engine.IO ``connect`` and ``disconnect`` handlers."""
        connect: Callable[..., Any] = eio.handlers["connect"]
        disconnect: Callable[..., Any] = eio.handlers["disconnect"]

        def on_connect(eio_sid: str, environ: dict, *args: Any) -> Any:
            addr = environ.get("REMOTE_ADDR") or "?"
            with self._lock:
                if self.open[addr] >= self.cap:
                    return {"error": {"code": "too_many_connections",
                                      "message": f"At most {self.cap} live connections per address."}}
                self.open[addr] += 1
                self._addr_of[eio_sid] = addr
            try:
                result = connect(eio_sid, environ, *args)
            except BaseException:
                self._release(eio_sid)
                raise
            if result is not None and result is not True:  # refused further in: no place taken
                self._release(eio_sid)
            return result

        def on_disconnect(eio_sid: str, *args: Any) -> Any:
            self._release(eio_sid)
            return disconnect(eio_sid, *args)

        eio.on("connect", on_connect)
        eio.on("disconnect", on_disconnect)

    def _release(self, eio_sid: str) -> None:
        with self._lock:
            addr = self._addr_of.pop(eio_sid, None)
            if addr is not None:
                self.open[addr] -= 1
                if self.open[addr] <= 0:
                    del self.open[addr]


def install(server: Any) -> SocketsPerAddress | None:
    """Cap the sockets per address on this Socket.IO ``server`` (None when the cap is off)."""
    cap = limit()
    if not cap:
        return None
    guard = SocketsPerAddress(cap)
    guard.install(server.eio)
    return guard
