"""Emits written straight into idle WebSockets (queue_app/live/direct.py): the bytes, the routing, the order.

A frame must never be cut by another, whatever the kernel takes; a socket whose writer is busy or has
packets queued gets the packet through its queue; a slow reader never holds up an emit.
"""

from __future__ import annotations

import queue
import struct
import time

import gevent
import gevent.event
import pytest
import socketio as sio
import websocket
from gevent import socket as gsocket

from queue_app.live import direct
from queue_app.live.direct import DirectSendManager, text_frame
from tests.livesite import LiveServer, call_next, issue


def _parse(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each complete, unmasked, final frame in ``data``; the rest must be empty."""
    frames, pos = [], 0
    while pos < len(data):
        b0, b1 = data[pos], data[pos + 1]
        assert b0 & 0xF0 == 0x80 and not b1 & 0x80, data[pos:pos + 10]
        n, pos = b1 & 0x7F, pos + 2
        if n == 126:
            (n,), pos = struct.unpack("!H", data[pos:pos + 2]), pos + 2
        elif n == 127:
            (n,), pos = struct.unpack("!Q", data[pos:pos + 8]), pos + 8
        assert pos + n <= len(data), "a frame was cut short"
        frames.append((b0 & 0x0F, data[pos:pos + n]))
        pos += n
    return frames


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_text_frame_is_one_final_unmasked_text_frame(size):
    text = "é" * (size // 2) + "a" * (size % 2)
    assert _parse(text_frame(text)) == [(0x1, text.encode())]


# --- the WebSocket side: write_now, the lock, the rest of a partly sent frame ------------------------


class _FakeServerWS:
    """Stands for simple_websocket.Server: frames text like it and sends it whole."""

    def __init__(self, sock) -> None:  # noqa: ANN001
        self.sock = sock
        self.connected = True

    def send(self, data: str) -> None:
        self.sock.sendall(text_frame(data))

    def close(self) -> None:
        self.connected = False


class _Owner:
    """Stands for the Engine.IO socket whose handler the WebSocket runs (its own handler: ``connected``, as
    after a polling client's upgrade; a direct connection's is tested with a real socket below)."""

    direct = None
    connected = True

    def __init__(self) -> None:
        self.done = gevent.event.Event()

    def handle(self, ws) -> None:  # noqa: ANN001
        self.done.wait()


@pytest.fixture
def connection():
    """A running DirectWebSocketWSGI on a real TCP connection with small buffers, and the peer's socket."""
    listener = gsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    peer = gsocket.socket()
    peer.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_RCVBUF, 4096)
    peer.connect(listener.getsockname())
    server_side, _ = listener.accept()
    server_side.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_SNDBUF, 4096)
    owner = _Owner()
    ws = direct._websocket_class()(owner.handle, None)
    ws.ws = _FakeServerWS(server_side)
    running = gevent.spawn(ws.app, ws)  # what __call__ does once the handshake is done
    gevent.sleep(0)
    assert owner.direct is ws and ws.raw is not None
    yield ws, peer
    owner.done.set()
    running.join(timeout=5)
    assert owner.direct is None  # the Engine.IO socket forgets it when the connection ends
    for s in (peer, server_side, listener):
        s.close()


def _read(peer, n_bytes: int, timeout: float = 5.0) -> bytes:  # noqa: ANN001
    data = b""
    with gevent.Timeout(timeout):
        while len(data) < n_bytes:
            chunk = peer.recv(65536)
            assert chunk, "closed"
            data += chunk
    return data


def test_an_idle_socket_gets_the_frame_at_once(connection):
    ws, peer = connection
    frame = text_frame('42/display,["called",{"number":"A-001"}]')
    assert ws.write_now(frame) is True
    assert not ws.lock.locked()
    assert _read(peer, len(frame)) == frame


def test_a_partly_taken_frame_is_finished_before_anything_else(connection):
    ws, peer = connection
    big = "x" * 2_000_000  # far more than the kernel takes at once: only part goes now
    assert ws.write_now(text_frame(big)) is True
    assert ws.lock.locked()  # the rest is on its way
    assert ws.write_now(text_frame("late")) is False  # a second emit would cut it: it takes the queue
    writer = gevent.spawn(ws.send, "after")  # the socket's writer: waits for the lock
    gevent.sleep(0.05)
    assert not writer.ready()
    data = _read(peer, len(text_frame(big)) + len(text_frame("after")))
    writer.join(timeout=5)
    assert _parse(data) == [(0x1, big.encode()), (0x1, b"after")]
    assert not ws.lock.locked()


def test_a_full_socket_takes_the_queue_and_nothing_is_written(connection):
    ws, peer = connection

    class Full:
        def send(self, data: bytes) -> int:
            raise BlockingIOError

    ws.raw = Full()
    assert ws.write_now(text_frame("x")) is False
    assert not ws.lock.locked()


def test_a_peer_that_stops_reading_is_cut_off(connection, monkeypatch):
    ws, peer = connection
    monkeypatch.setattr(direct, "FINISH_SECONDS", 0.2)
    assert ws.write_now(text_frame("x" * 2_000_000)) is True
    assert ws.lock.locked()
    gevent.sleep(0.5)
    assert not ws.lock.locked()  # the writer may go on (and find the connection closed)
    assert ws.ws.sock.fileno() == -1


# --- the manager side: which sockets take the direct path ----------------------------------------


class _Direct:
    def __init__(self, takes: bool = True) -> None:
        self.takes = takes
        self.frames: list[bytes] = []

    def write_now(self, frame: bytes) -> bool:
        if self.takes:
            self.frames.append(frame)
        return self.takes


class _EioSocket:
    def __init__(self, direct_ws=None, **state) -> None:  # noqa: ANN001
        self.direct = direct_ws
        self.upgraded, self.upgrading, self.closing, self.closed, self.last_ping = True, False, False, False, None
        self.queue: queue.Queue = queue.Queue()
        self.__dict__.update(state)


@pytest.fixture
def hall():
    """A Socket.IO server (not serving) whose /display room ``zone:a`` holds fake sockets by name."""
    server = sio.Server(client_manager=DirectSendManager(), async_mode="threading")
    server.eio.direct_sends = True
    queued: list[tuple[str, object]] = []
    server._send_eio_packet = lambda eio_sid, pkt: queued.append((eio_sid, pkt.encode()))
    manager = server.manager
    manager.set_server(server)
    manager.initialize()

    def add(name: str, sock: _EioSocket) -> str:
        server.eio.sockets[name] = sock
        sid = manager.connect(name, "/display")
        manager.enter_room(sid, "/display", "zone:a")
        return sid

    return server, add, queued


def test_idle_websockets_get_one_frame_built_once_and_the_others_their_queue(hall):
    server, add, queued = hall
    idle, other_idle = _Direct(), _Direct()
    add("idle", _EioSocket(idle))
    add("other", _EioSocket(other_idle))
    add("queued", _EioSocket(_Direct()))
    server.eio.sockets["queued"].queue.put("an earlier packet")
    add("upgrading", _EioSocket(_Direct(), upgrading=True))
    add("polling", _EioSocket(_Direct(), upgraded=False))
    add("closing", _EioSocket(_Direct(), closing=True))  # its CLOSE packet may be on its way
    add("silent", _EioSocket(_Direct(), last_ping=time.time() - 60))  # missed its pong: Engine.IO decides
    add("answered", _EioSocket(_Direct(), last_ping=time.time()))  # pinged just now, within the timeout
    add("full", _EioSocket(_Direct(takes=False)))
    add("no-websocket", _EioSocket(None))
    skipped = add("skipped", _EioSocket(_Direct()))

    server.emit("called", {"number": "A-001"}, namespace="/display", to="zone:a", skip_sid=skipped)

    text = '42/display,["called",{"number":"A-001"}]'
    assert idle.frames == other_idle.frames == [text_frame(text)]
    assert idle.frames[0] is other_idle.frames[0]  # built once
    assert server.eio.sockets["answered"].direct.frames == [text_frame(text)]
    assert sorted(queued) == sorted((name, text) for name in
                                    ("queued", "upgrading", "polling", "closing", "silent", "full", "no-websocket"))
    assert server.eio.sockets["skipped"].direct.frames == []


def test_without_direct_sends_every_packet_takes_the_queue(hall):
    server, add, queued = hall
    server.eio.direct_sends = False  # not gevent: install() leaves the server as it was
    ws = _Direct()
    add("idle", _EioSocket(ws))
    server.emit("called", {"number": "A-001"}, namespace="/display", to="zone:a")
    assert ws.frames == [] and queued == [("idle", '42/display,["called",{"number":"A-001"}]')]


def test_binary_payloads_take_the_queue(hall):
    server, add, queued = hall
    ws = _Direct()
    add("idle", _EioSocket(ws))
    server.emit("photo", {"png": b"\x89PNG"}, namespace="/display", to="zone:a")  # a placeholder + an attachment
    assert ws.frames == [] and [name for name, _ in queued] == ["idle", "idle"]


def test_install_only_under_gevent():
    assert direct.install(sio.Server(async_mode="threading")) is False


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked client frame (RFC 6455 §5.3: a client masks every frame)."""
    mask = b"\x11\x22\x33\x44"
    assert len(payload) < 126
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def test_the_handler_reads_its_websocket_itself_with_no_reader_greenlet():
    import gevent.event
    import simple_websocket

    server_side, client = gsocket.socketpair()

    class Raw:
        _sock = server_side

    class Input:
        raw = Raw()

    environ = {"SERVER_SOFTWARE": "gevent/24", "wsgi.input": Input(), "HTTP_HOST": "hall",
               "HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade", "HTTP_SEC_WEBSOCKET_VERSION": "13",
               "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ=="}
    before = _greenlets()
    ws = direct._inline_reader_class()(environ, event_class=gevent.event.Event)
    assert _greenlets() == before  # simple-websocket would have started its reader here
    assert client.recv(4096).startswith(b"HTTP/1.1 101")
    client.sendall(_client_frame(0x1, b"40/display,") + _client_frame(0x9, b"hi"))  # a message, then a ping
    assert ws.receive() == "40/display,"
    client.sendall(_client_frame(0x1, b"3"))
    assert ws.receive() == "3"
    assert _parse(client.recv(4096)) == [(0xA, b"hi")]  # the ping was answered on the way
    client.sendall(_client_frame(0x8, struct.pack("!H", 1000)))  # the client closes
    with pytest.raises(simple_websocket.ConnectionClosed):
        ws.receive()
    assert _parse(client.recv(4096))[0][0] == 0x8  # the close handshake is answered
    assert not ws.connected and ws.sock.fileno() == -1  # and the socket is closed, as the reader did
    server_side.close()  # pywsgi's own handle on the connection (simple-websocket read a duplicate)
    client.close()


def _greenlets() -> int:
    import gc

    return sum(1 for o in gc.get_objects() if isinstance(o, gevent.Greenlet) and not o.dead)


def test_pings_come_from_a_timer_not_a_greenlet_asleep_per_socket():
    from engineio import packet as eio_packet
    from engineio import socket as eio_socket

    server = sio.Server(async_mode="gevent", ping_interval=0.05, ping_timeout=5)
    assert direct.install(server)
    sock = eio_socket.Socket(server.eio, "s1")
    before = _greenlets()
    sock.schedule_ping()  # as Engine.IO does on connect
    assert _greenlets() == before  # nothing waits for the interval but a timer of the loop
    gevent.sleep(0.2)
    assert sock.queue.get_nowait().packet_type == eio_packet.PING and sock.last_ping
    assert sock.queue.empty()  # one ping until it is answered
    sock.receive(eio_packet.Packet(eio_packet.PONG))  # the answer schedules the next one
    gevent.sleep(0.2)
    assert sock.queue.get_nowait().packet_type == eio_packet.PING
    sock.receive(eio_packet.Packet(eio_packet.PONG))
    sock.closed = True  # a socket that closed meanwhile is not pinged
    gevent.sleep(0.2)
    assert sock.queue.empty() and _greenlets() == before


def test_a_server_without_timer_pings_keeps_engineios_pinger(monkeypatch):
    from engineio import socket as eio_socket

    direct.install(sio.Server(async_mode="gevent"))  # the class is patched for every server of the process
    server = sio.Server(async_mode="threading")
    started = []
    monkeypatch.setattr(server.eio, "start_background_task", lambda target, *a, **k: started.append(target))
    eio_socket.Socket(server.eio, "s1").schedule_ping()
    assert [t.__name__ for t in started] == ["_send_ping"]


# --- end to end: a real gevent server and real WebSocket clients ---------------------------------


@pytest.mark.slow
def test_every_display_hears_every_call_in_order(tmp_path):
    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_ASYNC_MODE": "gevent"}).start()
    clients = []
    try:
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        for _ in range(30):
            ws = websocket.create_connection(url, timeout=5)
            assert ws.recv().startswith("0")
            ws.send('40/display,{"zone":"lantai-1"}')
            while not ws.recv().startswith("40/display"):
                pass
            clients.append(ws)
        numbers = [issue(server)["number"] for _ in range(12)]
        headers = server.token()
        called = [call_next(server, headers)["number"] for _ in numbers]
        assert called == numbers
        for ws in clients:
            heard = []
            deadline = time.monotonic() + 10
            while len(heard) < len(called) and time.monotonic() < deadline:
                msg = ws.recv()
                if msg == "2":
                    ws.send("3")
                elif msg.startswith('42/display,["called"'):
                    heard.append(sio.packet.Packet(encoded_packet=msg[1:]).data[1]["number"])
            assert heard == called
    finally:
        for ws in clients:
            ws.close()
        server.stop()


class _ScriptedWS:
    """A WebSocket for :func:`direct._serve_websocket`: records what is written, yields on each write (a
    slow kernel), and delivers the client's messages from a gevent queue (None: the client closed)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False
        self.incoming: gevent.queue.Queue = gevent.queue.Queue()

    def send(self, message: str) -> None:
        gevent.sleep(0)
        self.sent.append(message)

    def wait(self):  # noqa: ANN201
        return self.incoming.get()

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def served():
    """An Engine.IO socket (gevent server, direct sends) that connected straight over WebSocket."""
    import gevent.queue  # noqa: F401
    from engineio import packet as eio_packet
    from engineio import socket as eio_socket

    server = sio.Server(async_mode="gevent")
    direct.install(server)
    sock = eio_socket.Socket(server.eio, "s1")
    sock.send(eio_packet.Packet(eio_packet.OPEN, {"sid": "s1"}))  # queued by the connect, before the handler
    ws = _ScriptedWS()
    handler = gevent.spawn(direct._serve_websocket, sock, ws)
    gevent.sleep(0.05)
    yield sock, ws, handler
    handler.kill()


def test_a_direct_websocket_has_no_writer_greenlet_and_keeps_the_order(served):
    from engineio import packet as eio_packet

    sock, ws, handler = served
    assert ws.sent == ['0{"sid":"s1"}'] and sock.upgraded and sock.connected
    writer = sock.queue._writer
    assert writer.greenlet is None  # idle: the handler waits for the client, nothing waits for packets
    idle = _greenlets()
    for n in range(5):  # each write yields: the later packets wait behind the first, in order
        sock.send(eio_packet.Packet(eio_packet.MESSAGE, f"m{n}"))
    assert sock.queue.qsize() == 5  # the direct path sees them queued and queues behind them too
    gevent.sleep(0.05)
    assert ws.sent[1:] == [f"4m{n}" for n in range(5)]
    assert writer.greenlet is None and _greenlets() == idle  # the writer ended with the queue empty


def test_a_direct_websocket_closes_both_ways(served):
    from engineio import packet as eio_packet

    sock, ws, handler = served
    with gevent.Timeout(2):
        sock.close(wait=True)  # the server ends it: CLOSE written, then the WebSocket closed, and no hang
    assert ws.sent[-1] == eio_packet.Packet(eio_packet.CLOSE).encode() and ws.closed
    ws.incoming.put(None)  # the client's close reaches the handler
    handler.join(timeout=2)
    assert handler.dead and sock.closed


def test_a_client_that_closes_ends_its_socket(served):
    sock, ws, handler = served
    ws.incoming.put(None)
    handler.join(timeout=2)
    assert handler.dead and ws.closed and sock.closed


def test_the_engineio_internals_direct_sends_and_timer_pings_rely_on_are_still_there():
    """queue_app/live/direct.py and pings.py reach into python-engineio; an upgrade that moves these fails here,
    by name, instead of quietly sending every emit the slow way or pinging nobody."""
    import engineio
    from engineio import socket as eio_socket
    from engineio.async_drivers import gevent as eio_gevent

    server = engineio.Server(async_mode="gevent")
    assert "websocket" in server._async and hasattr(eio_gevent, "WebSocketWSGI")
    for name in ("schedule_ping", "last_ping", "closing", "closed", "send", "server"):
        assert hasattr(eio_socket.Socket, name) or name in eio_socket.Socket.__init__.__code__.co_names, name
    import socketio
    from simple_websocket import Server as SimpleWebSocket

    assert hasattr(socketio.Server, "_send_eio_packet") and hasattr(eio_socket.Socket, "_websocket_handler")
    assert hasattr(SimpleWebSocket, "_handle_events")
