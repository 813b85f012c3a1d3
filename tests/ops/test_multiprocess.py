"""Two real ``mpp-queue serve`` processes sharing PostgreSQL and the Redis message queue.

A call made over process A's HTTP API must reach a display (and a visitor's phone) connected to
process B, with the zone's ``seq`` continuing across processes because it lives in the database.
"""

from __future__ import annotations

import time

import pytest
import requests
import socketio
import sqlalchemy as sa

from ..livesite import LiveServer, Recorder, issue, wait_until_subscribed

pytestmark = pytest.mark.slow


def _reset_database(url: str) -> None:
    """Start from an empty schema: other tests drop_all without alembic_version, and a stale
    alembic_version would make ``upgrade`` a no-op on missing tables."""
    import queue_app.factory  # noqa: F401  (registers every table and /api handler)
    from queue_app.core.models import Base

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_call_through_process_a_reaches_display_on_process_b(tmp_path, pg_url, redis_url):
    _reset_database(pg_url)
    env = {"MPP_QUEUE_DATABASE_URL": pg_url, "MPP_QUEUE_MESSAGE_QUEUE": redis_url}
    a = LiveServer(tmp_path / "a", env=env).start()
    b = None
    clients: list[socketio.Client] = []
    try:
        b = LiveServer(tmp_path / "b", env=env).start()
        headers = a.token()
        rec = Recorder()
        display = socketio.Client(reconnection=False)
        display.on("board", lambda d: rec.add("board", d), namespace="/display")
        display.on("called", lambda d: rec.add("called", d), namespace="/display")
        other = socketio.Client(reconnection=False)
        other.on("called", lambda d: rec.add("other-called", d), namespace="/display")
        display.connect(b.url, namespaces=["/display"], auth={"zone": "lantai-1"}, transports=["websocket"],
                        wait_timeout=10)
        other.connect(b.url, namespaces=["/display"], auth={"zone": "lantai-2"}, transports=["websocket"],
                      wait_timeout=10)
        clients += [display, other]
        board = rec.wait_for("board", lambda d: True)
        assert board["seq"] == {"lantai-1": 0}

        first = issue(a)
        mine = issue(a)
        phone = socketio.Client(reconnection=False)
        phone.on("ticket", lambda d: rec.add("ticket", d), namespace="/ticket")
        phone.connect(b.url, namespaces=["/ticket"], auth={"token": mine["token"]}, transports=["websocket"],
                      wait_timeout=10)
        clients.append(phone)
        rec.wait_for("ticket", lambda d: d["ahead"] == 1)
        # the visitor page's kind of client: it counts its place from its line's queue_moved
        counting = socketio.Client(reconnection=False)
        counting.on("ticket", lambda d: rec.add("counting-ticket", d), namespace="/ticket")
        counting.on("queue_moved", lambda d: rec.add("queue_moved", d), namespace="/ticket")
        counting.connect(b.url, namespaces=["/ticket"], auth={"token": mine["token"], "moves": True},
                         transports=["websocket"], wait_timeout=10)
        clients.append(counting)
        version = rec.wait_for("counting-ticket", lambda d: True)["queue"]["version"]
        wait_until_subscribed(redis_url)  # B listens once its first socket is in: A's call must not come first

        start = time.monotonic()
        r = requests.post(a.url + "/api/counters/L01/call-next", json={}, headers=headers, timeout=5)
        assert r.status_code == 200 and r.json()["ticket"]["number"] == first["number"]
        called = rec.wait_for("called", lambda d: d["number"] == first["number"])
        assert time.monotonic() - start < 2.0
        assert called["seq"] == 1 and called["zone"] == "lantai-1" and called["counter"]["code"] == "L01"
        rec.wait_for("ticket", lambda d: d["ahead"] == 0 and d["status"] == "waiting")
        moved = rec.wait_for("queue_moved", lambda d: d["version"] == version + 1)  # made on A, heard on B
        assert moved["service"] == "PERIZINAN" and len(moved["left"]) == 1 and moved["joined"] == []

        # the next call goes through B itself: seq continues from the database, not per process
        r = requests.post(b.url + "/api/counters/L01/call-next", json={"finish_current": True},
                          headers=headers, timeout=5)
        assert r.status_code == 200
        assert rec.wait_for("called", lambda d: d["number"] == mine["number"])["seq"] == 2
        rec.wait_for("ticket", lambda d: d["status"] == "called" and d["counter"]["code"] == "L01")
        time.sleep(0.3)
        assert [n for n, _ in rec.events if n == "other-called"] == []  # lantai-2 heard nothing
    finally:
        for c in clients:
            c.disconnect()
        if b:
            b.stop()
        a.stop()
