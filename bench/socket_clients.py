"""The benchmarks' Socket.IO clients: hall displays and visitors' ticket pages, one epoll loop per process.

    python bench/socket_clients.py SPEC.json     # started by bench/call_latency.py and bench/scale_out.py

SPEC names the server, the clients (namespace and auth each), a ready file (connected/refused/error counts,
rewritten every 0.2 s), a stop file and a result file (every client's receipts with their times).

They speak Engine.IO v4 / Socket.IO v5 over WebSocket only and share the machine's cores with the server, so
they are lean: no greenlets, the handshake and the frames parsed here, strictly (a wrong accept key, a mask,
an RSV bit or a negotiated extension is a client error). The wsproto and greenlet clients they replace cost
~60 us of Python per message, and a process holding 250 sockets worked through a call's burst one message
after the other: the last receipts measured the clients' backlog rather than the server. Ticket pages count
their place from ``queue_moved`` exactly like visitor/static/ticket.js (``"moves": true`` in their auth).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
from pathlib import Path


def worker(spec_path: str) -> None:
    """Connect this process's share of clients, record receipts until the stop file appears.

    One epoll loop, no greenlets: a call's burst of messages costs the client side as little as it can,
    so what is measured is the server's delivery, not this process's own backlog.
    """
    import select
    import socket
    from urllib.parse import urlsplit

    spec = json.loads(Path(spec_path).read_text())
    url = urlsplit(spec["url"])
    out: dict = {"connected": 0, "refused": 0, "errors": [], "clients": []}
    poller = select.epoll()
    conns: dict[int, dict] = {}  # fd -> its socket, record, unread bytes and unfinished text

    def receive(conn: dict, now: float) -> bool:
        """Handle every complete frame in the connection's buffer; False once it closed."""
        buf, pos = conn["buf"], 0
        while True:
            frame = _frame_at(buf, pos)
            if frame is None:
                break
            fin, opcode, payload, pos = frame
            if opcode == 0x8:  # close
                return False
            if opcode == 0x9:  # ping
                conn["sock"].sendall(_client_frame(0xA, payload))
            elif opcode in (0x1, 0x0):  # text, or its continuation
                conn["text"] += payload
                if fin:
                    reply = handle(conn["text"].decode(), conn["ns"], conn["auth"], conn["rec"], now)
                    conn["text"] = bytearray()
                    if reply:
                        conn["sock"].sendall(_client_frame(0x1, reply.encode()))
            elif opcode != 0xA:
                raise RuntimeError(f"unexpected WebSocket opcode {opcode}")
        del buf[:pos]
        return True

    def drop(fd: int, error: str | None = None) -> None:
        conn = conns.pop(fd)
        poller.unregister(fd)
        conn["sock"].close()
        if error:
            out["errors"].append(f"{conn['ns']} #{conn['i']}: {error}")

    def pump(timeout: float) -> None:
        for fd, _ in poller.poll(timeout):
            conn = conns.get(fd)
            if conn is None:
                continue
            try:
                data = conn["sock"].recv(65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                drop(fd, repr(exc))
                continue
            now = time.time()
            if not data:
                drop(fd)
                continue
            conn["buf"] += data
            try:
                if not receive(conn, now):
                    drop(fd)
            except Exception as exc:  # noqa: BLE001 - reported, counted as undelivered
                drop(fd, repr(exc))


    def handle(msg: str, namespace: str, auth: dict, rec: dict, now: float) -> str | None:
        if msg.startswith("0"):  # Engine.IO open: connect to the namespace
            return f"40{namespace},{json.dumps(auth)}"
        if msg == "2":  # Engine.IO ping
            return "3"
        prefix = f"4{{}}{namespace},"
        if msg.startswith(prefix.format(0)):
            out["connected"] += 1
        elif msg.startswith(prefix.format(4)):
            out["refused"] += 1
        elif msg.startswith(prefix.format(2)):
            name, payload = json.loads(msg[len(prefix.format(2)):])[:2]
            if name == "called":
                rec["events"].append(["called", payload["number"], now])
            elif name == "ticket":
                rec["view"] = payload
                rec["events"].append(["ticket", payload["status"], payload["ahead"], now])
            elif name == "queue_moved":
                return moved(payload, rec, namespace, now)
        elif msg.startswith(prefix.format(3)):  # the answer to our "sync": a fresh view
            payload = json.loads(msg[len(prefix.format(3)):].lstrip("0123456789"))[0]
            rec["view"] = payload
            rec["events"].append(["ticket", payload["status"], payload["ahead"], now])
        return None

    def moved(m: dict, rec: dict, namespace: str, now: float) -> str | None:
        """What visitor/static/ticket.js does with ``queue_moved``: count my place from the deltas."""
        view = rec.get("view") or {}
        place = view.get("queue")
        if view.get("status") != "waiting" or not place or m["service"] != view["service"]:
            return None
        if m["version"] is None or m["version"] <= place["version"]:
            return None
        if m["version"] != place["version"] + 1:
            out["gaps"] = out.get("gaps", 0) + 1
            return f'42{namespace},1["sync",null]'
        mine = place["key"]

        def before(keys: list) -> int:
            return sum(1 for k in keys if k[2] != mine[2] and (k[0] > mine[0] if k[0] != mine[0]
                                                               else (k[1], k[2]) < (mine[1], mine[2])))

        view["ahead"] += before(m["joined"]) - before(m["left"])
        place["version"] = m["version"]
        rec["events"].append(["ticket", "waiting", view["ahead"], now])
        return None

    for i, (ns, auth) in enumerate(spec["clients"]):
        rec: dict = {"ns": ns, "auth": auth, "events": []}
        out["clients"].append(rec)
        try:
            sock = socket.create_connection((url.hostname, url.port), timeout=60)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = {"i": i, "ns": ns, "auth": auth, "rec": rec, "sock": sock, "text": bytearray(),
                    "buf": _handshake(sock, f"{url.hostname}:{url.port}", spec["deflate"])}
            sock.setblocking(False)
            conns[sock.fileno()] = conn
            poller.register(sock.fileno(), select.EPOLLIN)
            if not receive(conn, time.time()):
                drop(sock.fileno(), "closed at once")
        except Exception as exc:  # noqa: BLE001 - reported, counted as undelivered
            out["errors"].append(f"{ns} #{i}: {exc!r}")
        pump(0)
        if i % 50 == 49:
            pump(0.05)  # do not flood the accept queue
    ready = Path(spec["ready"])
    stop = Path(spec["stop"])
    next_report = 0.0
    while not stop.exists():
        if time.time() >= next_report:
            ready.write_text(json.dumps({"connected": out["connected"], "refused": out["refused"],
                                         "errors": len(out["errors"])}))
            next_report = time.time() + 0.2
        pump(0.2)
    Path(spec["result"]).write_text(json.dumps(out))
    os._exit(0)


def _handshake(sock, host: str, deflate: bool) -> bytearray:  # noqa: ANN001
    """The client's WebSocket opening handshake (RFC 6455 §4.1); returns what came after the answer.

    ``deflate`` offers permessage-deflate like a browser: the server must not accept it (docs/socketio.md).
    """
    key = base64.b64encode(os.urandom(16)).decode()
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n{offer}\r\n").encode())
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("closed during the WebSocket handshake")
        buf += data
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        raise RuntimeError(f"websocket rejected: {lines[0]}")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    if fields.get("sec-websocket-accept") != accept.decode():
        raise RuntimeError("wrong Sec-WebSocket-Accept")
    if "sec-websocket-extensions" in fields:
        raise RuntimeError(f"the server negotiated {fields['sec-websocket-extensions']}")
    return bytearray(rest)


def _frame_at(buf: bytearray, pos: int) -> tuple[bool, int, bytes, int] | None:
    """``(fin, opcode, payload, next position)`` of the frame at ``pos``, None while it is incomplete.

    Strict: a server's frame is unmasked and has no RSV bit (no extension was negotiated).
    """
    if len(buf) - pos < 2:
        return None
    b0, b1 = buf[pos], buf[pos + 1]
    if b0 & 0x70 or b1 & 0x80:
        raise RuntimeError("a server frame with RSV bits or a mask")
    n, start = b1 & 0x7F, pos + 2
    if n >= 126:
        size = 2 if n == 126 else 8
        if len(buf) - start < size:
            return None
        n, start = int.from_bytes(buf[start:start + size], "big"), start + size
    if len(buf) - start < n:
        return None
    return bool(b0 & 0x80), b0 & 0x0F, bytes(buf[start:start + n]), start + n


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked client frame (payloads here are short: replies and pongs)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes((0x80 | opcode, 0x80 | n)) if n < 126 else bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


if __name__ == "__main__":
    worker(sys.argv[1])
