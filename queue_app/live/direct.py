"""Emits written straight into each WebSocket: one frame built per emit, not one send per socket.

Under gevent, Engine.IO gives every WebSocket a queue and a writer greenlet. An emit to a room of 1,000
phones and displays puts the packet on 1,000 queues and wakes 1,000 writers, each of which frames the same
text again (wsproto) and sends it: measured ~45 µs per socket, so the last display of a hall
heard a call tens of milliseconds after the first (docs/performance.md).

A server's WebSocket frame carries no mask, so every socket of an emit gets the same bytes.
:class:`DirectSendManager` builds them once and, for each socket whose writer has nothing queued and
is not writing, hands them to the kernel at once (a non-blocking ``send``). Otherwise the packet takes
the usual way, the socket's queue, so the order of a socket's messages never changes:

- the writer is busy, or packets wait in its queue: the packet joins that queue behind them;
- the kernel takes only part of the frame (a phone on a slow link): a greenlet sends the rest while
  holding the socket's lock, and the writer's next frame waits for that lock;
- the kernel takes nothing (the socket's buffer is full), or the socket is not a plain WebSocket (long
  polling, upgrading, TLS terminated in the process, closing): the queue.

Only a plain TCP socket under gevent takes this path; ``install`` leaves any other server as it was.
"""

from __future__ import annotations

import logging
import struct
import time
from typing import Any

import gevent
import gevent.event
import socketio as sio
from engineio import packet as eio_packet
from gevent.queue import Empty
from socketio import packet as sio_packet

from .pings import install_timer_pings

logger = logging.getLogger(__name__)

#: how long the rest of a partly sent frame may take before the connection is given up
FINISH_SECONDS = 20.0


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 §5.2) carrying ``text``."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


class _NotStarted:
    """simple-websocket's reader thread, never started: :class:`InlineReader` reads in its caller's greenlet."""

    name = "(_thread)"

    def __init__(self, target: Any = None) -> None:
        pass

    def start(self) -> None:
        pass


def _inline_reader_class() -> type:
    import simple_websocket
    from wsproto.utilities import LocalProtocolError

    class InlineReader(simple_websocket.Server):
        """simple-websocket's server side without its reader greenlet.

        simple-websocket reads each socket in a greenlet of its own and hands messages to the one that
        waits in :meth:`receive` (Engine.IO's handler): two greenlets, with their saved stacks, per
        connected display or phone. Here :meth:`receive` reads the socket itself, with the same steps the
        reader took (wsproto's events, pings answered, the close handshake), so only the handler waits.
        Engine.IO never passes a timeout, and nothing else reads these sockets.
        """

        def __init__(self, environ: Any, **kwargs: Any) -> None:
            super().__init__(environ, **{**kwargs, "thread_class": _NotStarted})

        def receive(self, timeout: float | None = None) -> Any:
            while self.connected and not self.input_buffer:
                try:
                    data = self.sock.recv(self.receive_bytes)
                    if not data:
                        raise OSError("closed by the peer")
                    self.ws.receive_data(data)
                    self.connected = self._handle_events()
                except (OSError, LocalProtocolError):
                    self.connected = False
            if self.input_buffer:
                return self.input_buffer.pop(0)
            self.sock.close()  # as the reader did once the connection ended
            raise simple_websocket.ConnectionClosed(self.close_reason, self.close_message)

    return InlineReader


def _websocket_class() -> type:
    """Engine.IO's gevent WebSocket wrapper (simple-websocket) with a send lock, :meth:`write_now` and no
    reader greenlet (:class:`InlineReader`)."""
    from engineio.async_drivers.gevent import WebSocketWSGI
    from gevent.lock import Semaphore

    inline_reader = _inline_reader_class()

    class DirectWebSocketWSGI(WebSocketWSGI):
        """One WebSocket; its Engine.IO socket finds it as ``direct`` while the connection lasts."""

        def __call__(self, environ: Any, start_response: Any) -> Any:
            # engineio's SimpleWebSocketWSGI.__call__, with the reader-less server
            self.ws = inline_reader(environ, **self.server_args)
            ret = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return ret

        def __init__(self, handler: Any, server: Any) -> None:
            self.lock = Semaphore()  # held while a frame is on its way: the writer's, or the rest of ours
            self.raw: Any = None  # the OS socket under gevent's, which gevent keeps non-blocking
            owner = getattr(handler, "__self__", None)  # the Engine.IO socket whose handler this runs

            def run(ws: Any) -> Any:
                sock = self.ws.sock
                if owner is not None and not hasattr(sock, "do_handshake"):  # TLS: bytes go through SSL
                    raw = getattr(sock, "_sock", None)
                    self.raw = raw if raw is not None and not raw.getblocking() else None  # never block an emit
                    owner.direct = self if self.raw is not None else None
                try:
                    if owner is not None and not owner.connected:  # straight to WebSocket, not an upgrade
                        return _serve_websocket(owner, ws)
                    return handler(ws)
                finally:
                    if owner is not None:
                        owner.direct = None

            super().__init__(run, server)

        def send(self, message: Any) -> Any:
            with self.lock:
                return super().send(message)

        def close(self) -> Any:
            with self.lock:
                return super().close()

        def write_now(self, frame: bytes) -> bool:
            """Give ``frame`` to the kernel now if nothing is being written; False: use the queue."""
            if self.lock.locked() or not self.ws.connected:
                return False
            try:
                sent = self.raw.send(frame)
            except OSError:  # full (EAGAIN) or broken: the writer sends it, or finds out and closes
                return False
            if sent < len(frame):
                self.lock.acquire()
                gevent.spawn(self._finish, self.ws.sock, memoryview(frame)[sent:])
            return True

        def _finish(self, sock: Any, rest: memoryview) -> None:
            """Send the rest of a partly written frame; nothing else may reach this socket before it."""
            try:
                with gevent.Timeout(FINISH_SECONDS):
                    sock.sendall(rest)
            except (OSError, gevent.Timeout):  # the peer stopped reading: end the connection
                logger.info("a WebSocket stopped taking data; closing it")
                sock.close()
            finally:
                self.lock.release()

    return DirectWebSocketWSGI


class _Writer:
    """Engine.IO's writer of one WebSocket, as a greenlet that lives only while the socket's queue holds packets.

    Engine.IO keeps a writer greenlet per socket blocked on the socket's queue, though direct sends leave
    that queue empty nearly always (a ping every 20 s, a packet behind a busy send). Here a packet put on the
    queue starts the writer if it is not running; it writes everything queued, in order, and ends when the
    queue is empty. Its end mark (None, put when the connection ends) closes the WebSocket, as Engine.IO's.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.queue: Any = None
        self.greenlet: Any = None
        self.finished = False

    def wake(self) -> None:
        if self.greenlet is None:
            self.greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        try:
            while True:
                try:
                    pkt = self.queue.get(block=False)
                except Empty:
                    return
                self.queue.task_done()  # Socket.close(wait=True) joins the queue
                if self.finished:
                    continue  # the WebSocket is closed: what comes after is dropped, as it would wait forever
                if pkt is None:
                    self.finished = True
                    self.ws.close()
                    continue
                try:
                    self.ws.send(pkt.encode())
                except Exception:  # noqa: BLE001  as Engine.IO's writer: any failure ends the connection
                    self.finished = True
                    self.ws.close()
        finally:
            self.greenlet = None

    def join(self) -> None:
        greenlet = self.greenlet
        if greenlet is not None:
            greenlet.join()


class PacketQueue:
    """The packet queue of a socket :func:`_serve_websocket` serves: what Engine.IO asks of a socket's queue
    (put, task_done, join, qsize), and a wake-up of its :class:`_Writer` on each put.

    gevent's queue keeps three deques per socket (~2.4 KB) for waiters that never come here: only the
    writer takes packets, and only when there are some (``get`` never blocks; Engine.IO's blocking ``poll``
    serves long polling, which an upgraded socket refuses).
    """

    __slots__ = ("_items", "_writer", "_unfinished", "_all_done")

    def __init__(self, writer: _Writer) -> None:
        self._items: list[Any] = []
        self._writer = writer
        self._unfinished = 0
        self._all_done: Any = None

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self._items.append(item)
        self._unfinished += 1
        self._writer.wake()

    def put_nowait(self, item: Any) -> None:
        self.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:

        if not self._items:
            raise Empty
        return self._items.pop(0)

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def task_done(self) -> None:
        self._unfinished -= 1
        if self._unfinished <= 0 and self._all_done is not None:
            self._all_done.set()

    def join(self, timeout: float | None = None) -> None:
        """Until every packet put was taken and done (``Socket.close(wait=True)``)."""
        if self._unfinished <= 0:
            return
        if self._all_done is None or self._all_done.is_set():
            self._all_done = gevent.event.Event()
        self._all_done.wait(timeout)


def _serve_websocket(sock: Any, ws: Any) -> list:
    """Engine.IO's ``Socket._websocket_handler`` for a client that connects over WebSocket directly, with a
    :class:`_Writer` instead of a writer greenlet for the connection's whole life (engineio 4.x's steps)."""
    from engineio import exceptions

    server = sock.server
    sock.connected = True
    sock.upgraded = True
    writer = _Writer(ws)
    queued, old = [], sock.queue
    while True:  # the OPEN packet (and anything else the connect queued) moves to the new queue, in order
        try:
            queued.append(old.get(block=False))
        except Empty:
            break
        old.task_done()
    sock.queue = writer.queue = PacketQueue(writer)
    for pkt in queued:
        sock.queue.put(pkt)
    del queued, old  # this frame lasts as long as the connection
    server.logger.info("%s: Upgrade to websocket successful", sock.sid)
    while True:
        try:
            data = ws.wait()
            if data and len(data) > server.max_http_buffer_size:
                raise ValueError("packet is too large")
        except Exception as exc:  # noqa: BLE001
            if not sock.closed:
                server.logger.info('%s: Unexpected error "%s", closing connection', sock.sid, str(exc))
            break
        if data is None:  # closed by the client
            break
        try:
            sock.receive(eio_packet.Packet(encoded_packet=data))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            server.logger.info("Receive error -- socket is closed")
            break
        except Exception:  # noqa: BLE001
            server.logger.exception("Unknown receive error")
            break
    sock.queue.put(None)  # the writer closes the WebSocket once it has written what is queued
    writer.join()
    sock.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    return []


class DirectSendManager(sio.Manager):
    """A client manager whose emits go straight into idle WebSockets (see the module's docstring)."""

    def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        room = to or room
        eio = self.server.eio
        if callback or namespace not in self.rooms or not getattr(eio, "direct_sends", False):
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                **kwargs)
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        if isinstance(encoded, list):  # binary attachments: several packets, the usual way
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kwargs)
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame = text_frame(pkt.encode())
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        # a socket that has not answered a ping in time is left to Engine.IO, which closes it
        deadline = time.time() - eio.ping_timeout
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            s = eio.sockets.get(eio_sid)
            direct = getattr(s, "direct", None)
            if (direct is not None and s.upgraded and not s.upgrading and not s.closing and not s.closed
                    and not s.queue.qsize() and (s.last_ping or deadline) >= deadline and direct.write_now(frame)):
                continue
            self.server._send_eio_packet(eio_sid, pkt)  # its queue and writer, as Engine.IO does
        return None


def install(server: Any) -> bool:
    """Let ``server`` (a python-socketio Server) write emits directly, and ping from timers; only under gevent.

    :return: whether direct sends are on.
    """
    eio = server.eio
    if eio.async_mode != "gevent":
        return False
    # a copy: the driver's table is one module-level dict shared by every server of the process
    eio._async = {**eio._async, "websocket": _websocket_class()}
    eio.direct_sends = True
    install_timer_pings(eio)
    return True
