"""Two real server processes sharing PostgreSQL and Redis: one rate limit for both, and access that ends on
the other process too (issue 11, docs/security.md)."""

from __future__ import annotations

import time

import pytest
import requests
import socketio

from ..livesite import LiveServer
from ..ops.test_multiprocess import _reset_database

pytestmark = pytest.mark.slow


def test_two_processes_share_one_limit_and_end_access_together(tmp_path, pg_url, redis_url):
    import redis

    _reset_database(pg_url)
    redis.Redis.from_url(redis_url).flushdb()  # this test's own Redis database: no counts from an earlier run
    env = {"MPP_QUEUE_DATABASE_URL": pg_url, "MPP_QUEUE_MESSAGE_QUEUE": redis_url,
           "MPP_QUEUE_RATELIMIT_LOGIN": "3", "MPP_QUEUE_RATELIMIT_TICKETS": "4"}
    a = LiveServer(tmp_path / "a", env=env).start()
    b = None
    sock = None
    try:
        b = LiveServer(tmp_path / "b", env=env).start()
        a.add_user("kasir", "Kata-Sandi-123", counters=("L01",))

        # failed sign-ins: two on A, one on B; the fourth attempt is refused by both (one count, in Redis)
        wrong = {"username": "kasir", "password": "salah-salah"}
        for server in (a, a, b):
            assert requests.post(server.url + "/api/auth/token", json=wrong, timeout=5).status_code == 401
        right = {"username": "kasir", "password": "Kata-Sandi-123"}
        for server in (a, b):
            refused = requests.post(server.url + "/api/auth/token", json=right, timeout=5)
            assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
            assert int(refused.headers["Retry-After"]) >= 1

        # a kiosk's ticket budget is one budget whichever process its requests reach
        headers = a.kiosk_headers("K1")
        body = {"service": "PERIZINAN", "kiosk": "K1"}
        for server in (a, b, a, b):
            assert requests.post(server.url + "/api/tickets", json=body, headers=headers, timeout=5).status_code == 201
        assert requests.post(b.url + "/api/tickets", json=body, headers=headers, timeout=5).status_code == 429

        # a clerk's panel socket on B ends when an admin on A disables the clerk
        admin = a.token()
        clerk = requests.post(b.url + "/api/auth/token", json={"username": "admin", "password": a.admin_password},
                              timeout=5)
        assert clerk.status_code == 200  # another user from the same address still signs in
        requests.post(a.url + "/api/admin/users", json={"username": "siti", "password": "Kata-Sandi-456",
                                                        "role": "clerk", "counters": ["L01"]},
                      headers=admin, timeout=5).raise_for_status()
        token = requests.post(b.url + "/api/auth/token", json={"username": "siti", "password": "Kata-Sandi-456"},
                              timeout=5).json()["token"]
        ended = []
        sock = socketio.Client(reconnection=False)
        sock.on("access_ended", lambda data: ended.append(data), namespace="/counter")
        sock.connect(b.url, namespaces=["/counter"], auth={"token": token}, transports=["websocket"],
                     wait_timeout=10)
        assert sock.connected
        assert requests.post(a.url + "/api/admin/users/siti/disable", headers=admin, timeout=5).status_code == 200
        deadline = time.monotonic() + 5
        while sock.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sock.connected, "the socket on process B outlived the user's access"
        assert ended and ended[0]["room"].startswith("user:")
    finally:
        if sock is not None and sock.connected:
            sock.disconnect()
        if b:
            b.stop()
        a.stop()
