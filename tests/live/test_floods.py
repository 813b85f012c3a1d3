"""Floods (issue 11, item 7): connections per process, Socket.IO connections per address, and the visitor
view and display board computed once for a crowd of reloads. docs/security.md lists what each defends.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

import pytest
import requests

from queue_app.core import clock
from queue_app.core.extensions import socketio
from queue_app.queue import board as board_mod
from queue_app.queue import read_models

from ..helpers import built_app, make_site, take_ticket
from ..livesite import LiveServer

# --- Socket.IO connections per address ----------------------------------------------------------


def _open(client, addr: str):  # noqa: ANN001, ANN202
    """An Engine.IO polling handshake from ``addr``: (response, sid or None)."""
    resp = client.get("/socket.io/?EIO=4&transport=polling", environ_base={"REMOTE_ADDR": addr})
    text = resp.get_data(True)
    sid = json.loads(text[1:])["sid"] if resp.status_code == 200 else None
    return resp, sid


def _close(client, addr: str, sid: str) -> None:  # noqa: ANN001
    resp = client.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data="1",
                       environ_base={"REMOTE_ADDR": addr})
    assert resp.status_code == 200


@pytest.fixture
def capped(tmp_path, monkeypatch):
    monkeypatch.setenv("MPP_QUEUE_SOCKETS_PER_ADDRESS", "3")
    with built_app(make_site(tmp_path), tmp_path / "q.db") as app:
        yield app


def test_socket_connections_per_address_are_capped(capped):
    client = capped.test_client()
    sids = [_open(client, "10.0.0.7")[1] for _ in range(3)]
    assert all(sids)
    refused, _ = _open(client, "10.0.0.7")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "too_many_connections"  # the contract's error body
    assert _open(client, "10.0.0.8")[0].status_code == 200  # another phone is not affected
    # a socket that ends gives its place back
    _close(client, "10.0.0.7", sids[0])
    assert _open(client, "10.0.0.7")[0].status_code == 200
    assert _open(client, "10.0.0.7")[0].status_code == 401
    assert capped.extensions["sockets_per_address"].open == {"10.0.0.7": 3, "10.0.0.8": 1}


def test_a_refused_namespace_connect_still_counts_the_socket_until_it_closes(capped):
    """The cap counts Engine.IO sockets; a namespace refusing its connect does not end the socket."""
    client = capped.test_client()
    _, sid = _open(client, "10.0.0.9")
    url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    env = {"REMOTE_ADDR": "10.0.0.9"}
    assert client.post(url, data='40/ticket,{"token":"nope"}', environ_base=env).status_code == 200
    assert "Connection refused" in client.get(url, environ_base=env).get_data(True)
    assert capped.extensions["sockets_per_address"].open["10.0.0.9"] == 1
    _close(client, "10.0.0.9", sid)
    assert "10.0.0.9" not in capped.extensions["sockets_per_address"].open


def test_zero_turns_the_socket_cap_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MPP_QUEUE_SOCKETS_PER_ADDRESS", "0")
    with built_app(make_site(tmp_path), tmp_path / "q.db") as app:
        assert app.extensions["sockets_per_address"] is None
        client = app.test_client()
        assert all(_open(client, "10.0.0.7")[0].status_code == 200 for _ in range(40))


def test_the_default_cap(tmp_path, monkeypatch):
    from queue_app.live.limits import DEFAULT_PER_ADDRESS

    monkeypatch.delenv("MPP_QUEUE_SOCKETS_PER_ADDRESS", raising=False)
    with built_app(make_site(tmp_path), tmp_path / "q.db") as app:
        assert app.extensions["sockets_per_address"].cap == DEFAULT_PER_ADDRESS


# --- concurrent connections per process ---------------------------------------------------------


@pytest.mark.slow
def test_a_server_process_serves_at_most_its_connection_limit(tmp_path):
    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_WORKER_CONNECTIONS": "4"}).start()
    held: list[socket.socket] = []
    try:
        for _ in range(4):  # idle keep-alive connections, as a slow-loris script holds them
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            held.append(s)
        time.sleep(0.3)
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(server.url + "/api/health", timeout=1.5)
        held.pop().close()  # one ends: the waiting request is served
        assert requests.get(server.url + "/api/health", timeout=5).status_code == 200
    finally:
        for s in held:
            s.close()
        server.stop()


def test_connection_limit_reads_the_environment(monkeypatch):
    from queue_app.ops.server import DEFAULT_CONNECTIONS, connection_limit

    monkeypatch.setenv("MPP_QUEUE_WORKER_CONNECTIONS", "250")
    assert connection_limit() == 250
    monkeypatch.setenv("MPP_QUEUE_WORKER_CONNECTIONS", "lots")
    assert connection_limit() == DEFAULT_CONNECTIONS
    monkeypatch.delenv("MPP_QUEUE_WORKER_CONNECTIONS")
    assert connection_limit() == DEFAULT_CONNECTIONS == 4000


# --- a crowd of reloads costs one computation ---------------------------------------------------


@pytest.fixture
def counted(monkeypatch):
    """Counts of the real ticket-view and board computations."""
    calls = {"ticket": 0, "board": 0}
    real_ticket, real_board = read_models.ticket_public, board_mod.board_snapshot

    def ticket_public(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        calls["ticket"] += 1
        return real_ticket(*a, **kw)

    def board_snapshot(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        calls["board"] += 1
        return real_board(*a, **kw)

    monkeypatch.setattr(read_models, "ticket_public", ticket_public)
    monkeypatch.setattr(board_mod, "board_snapshot", board_snapshot)
    return calls


@pytest.fixture
def frozen(monkeypatch):
    base = clock.utcnow().replace(microsecond=600_000)  # 0.5 s later is the next second (test of "now")
    monkeypatch.setattr(clock, "utcnow", lambda: base + clock._offset)
    yield
    clock.reset()


def test_visitor_view_flood_is_one_computation_and_changes_are_seen_at_once(app, client, clerk, counted,
                                                                            frozen):
    token = take_ticket(client).get_json()["token"]
    counted["ticket"] = 0
    phone = socketio.test_client(app, namespace="/ticket", auth={"token": token})
    phone.get_received("/ticket")
    assert counted["ticket"] == 1
    views = [client.get(f"/api/tickets/{token}").get_json() for _ in range(50)]
    assert counted["ticket"] == 1 and all(v == views[0] for v in views)
    assert views[0]["status"] == "waiting"
    # phones reconnecting at once: served from the same computation
    others = [socketio.test_client(app, namespace="/ticket", auth={"token": token}) for _ in range(10)]
    assert counted["ticket"] == 1
    assert all(o.get_received("/ticket")[0]["args"][0] == views[0] for o in others)
    # the clerk calls it: the connected phone hears at once (push), the next GET is fresh (no stale second)
    assert client.post("/api/counters/L01/call-next", headers=clerk).status_code == 200
    pushed = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "ticket"]
    assert pushed and pushed[-1]["status"] == "called"
    assert client.get(f"/api/tickets/{token}").get_json()["status"] == "called"
    # and the cache lasts about a second
    before = counted["ticket"]
    client.get(f"/api/tickets/{token}")
    assert counted["ticket"] == before
    clock.travel(timedelta(seconds=1.1))
    client.get(f"/api/tickets/{token}")
    assert counted["ticket"] == before + 1
    for c in (phone, *others):
        c.disconnect("/ticket")


def test_unknown_tokens_are_never_cached(client, counted):
    for _ in range(3):
        assert client.get("/api/tickets/nope").status_code == 404


def test_display_board_flood_is_one_computation_and_calls_are_pushed_at_once(app, client, clerk, counted,
                                                                             frozen):
    take_ticket(client)
    counted["board"] = 0
    display = socketio.test_client(app, namespace="/display", auth={"zone": "lantai-1"})
    display.get_received("/display")
    assert counted["board"] == 1
    boards = [client.get("/api/display?zone=lantai-1").get_json() for _ in range(50)]
    assert counted["board"] == 1
    walls = [socketio.test_client(app, namespace="/display", auth={"zone": "lantai-1"}) for _ in range(10)]
    assert counted["board"] == 1
    first = walls[0].get_received("/display")[0]["args"][0]
    assert first == boards[0] | {"now": first["now"]}
    assert client.post("/api/counters/L01/call-next", headers=clerk).status_code == 200
    called = [e["args"][0] for e in display.get_received("/display") if e["name"] == "called"]
    assert [c["number"] for c in called] == ["A-001"]
    fresh = client.get("/api/display?zone=lantai-1").get_json()
    assert fresh != boards[0] and counted["board"] == 2
    for c in (display, *walls):
        c.disconnect("/display")


def test_board_now_is_always_the_time_of_sending(client, frozen):
    first = client.get("/api/display").get_json()["now"]
    clock.travel(timedelta(milliseconds=500))
    second = client.get("/api/display").get_json()["now"]
    assert second > first
