"""The day's accidents, each against real server processes: the database restarts, the message queue goes
away, a display and a phone lose the network. Every one must heal without a manual step.

The database and message-queue tests stop the machine's PostgreSQL and Redis, so they run only when
MPP_QUEUE_TEST_MAY_STOP_SERVICES=1 (``.ci/run`` sets it); elsewhere they skip and say why.

Covered elsewhere, not repeated here:
- the server killed with SIGKILL while kiosks issue tickets: tests/queue/test_restart.py;
- every printer fault mode (offline, paper out, paper low, a printer that hangs, an agent that drops):
  tests/printing/test_printing.py and tests/printers/.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
import requests
import socketio
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from queue_app.core.extensions import db

from ..livesite import LiveServer, Recorder, wait_until_subscribed

pytestmark = pytest.mark.slow

PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect"]
#: the kiosks below issue faster than a real one may (RATELIMIT_TICKETS_PER_KIOSK); the limit has its own test
NO_LIMIT = {"MPP_QUEUE_RATELIMIT_TICKETS": "0"}
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def _pg_version() -> str:
    import os

    return sorted(os.listdir("/etc/postgresql"))[-1]


def _pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0


def _pg(action: str) -> None:
    subprocess.run([*PG_CLUSTER, _pg_version(), "main", action], check=True, capture_output=True, timeout=60)


def _ensure_pg_running() -> None:
    if not _pg_ready():
        subprocess.run([*PG_CLUSTER, _pg_version(), "main", "start"], capture_output=True, timeout=60)
    for _ in range(100):
        if _pg_ready():
            return
        time.sleep(0.1)


def _fresh_database(pg_url: str, name: str) -> str:
    """A database of its own (the shared test database is other tests' business)."""
    url = make_url(pg_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True).stdout.strip() \
        == "PONG"


def _ensure_redis_running() -> None:
    if not _redis_up():
        subprocess.run(REDIS_START, capture_output=True, timeout=30)
    for _ in range(100):
        if _redis_up():
            return
        time.sleep(0.1)


class Kiosks:
    """Threads issuing tickets as fast as the server answers; every answer is kept."""

    def __init__(self, url: str, headers: dict[str, str], n: int = 3) -> None:
        self.url = url
        self.headers = headers  # kiosk K1's key
        self.issued: list[dict] = []
        self.statuses: list[int] = []
        self.bodies: dict[int, dict] = {}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        session = requests.Session()
        service = ("PERIZINAN", "NONIZIN")[i % 2]
        while not self.stop.is_set():
            try:
                resp = session.post(self.url + "/api/tickets", json={"service": service, "kiosk": "K1"},
                                    headers=self.headers, timeout=10)
            except requests.RequestException:
                self.statuses.append(-1)
                time.sleep(0.05)
                continue
            self.statuses.append(resp.status_code)
            if resp.status_code == 201:
                self.issued.append(resp.json())
            else:
                self.bodies[resp.status_code] = resp.json()
                time.sleep(0.05)

    def __enter__(self) -> Kiosks:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.issued) < count:
            assert time.monotonic() < deadline, f"only {len(self.issued)} tickets; statuses {set(self.statuses)}"
            time.sleep(0.02)


def _check_every_ticket_kept(url: str, issued: list[dict]) -> None:
    numbers = [t["number"] for t in issued]
    assert len(set(numbers)) == len(numbers), "a number was given twice"
    for t in issued:
        body = requests.get(f"{url}/api/tickets/{t['token']}", timeout=5).json()
        assert body["number"] == t["number"], t


@pytest.mark.stops_services
def test_postgres_restart_during_load_heals_without_a_manual_step(tmp_path, pg_url):
    db_url = _fresh_database(pg_url, "mpp_faults_pg")
    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_DATABASE_URL": db_url, **NO_LIMIT}).start()
    try:
        with Kiosks(server.url, server.kiosk_headers("K1")) as kiosks:
            kiosks.wait_for(30)
            _pg("stop")  # fast shutdown: every open connection is cut
            try:
                during = requests.post(server.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                                       headers=server.kiosk_headers("K1"), timeout=10)
                health = requests.get(server.url + "/api/health", timeout=10)
                time.sleep(1.0)  # the kiosks keep trying through the outage
            finally:
                _pg("start")
            assert during.status_code == 503, during.text
            assert during.json()["error"]["code"] == "database_unavailable"
            assert health.status_code == 503 and health.json()["database"].startswith("error")
            before = len(kiosks.issued)
            kiosks.wait_for(before + 30, timeout=30)  # no restart of the server, no manual step
        assert 503 in kiosks.statuses
        assert set(kiosks.statuses) <= {201, 503}, kiosks.statuses  # never a 500 or a dropped connection
        assert kiosks.bodies[503]["error"]["code"] == "database_unavailable"
        assert requests.get(server.url + "/api/health", timeout=5).json()["database"] == "ok"
        _check_every_ticket_kept(server.url, kiosks.issued)
        # numbering continued from where it was: no number reused, none skipped within a service
        for prefix in ("A", "B"):
            seqs = sorted(int(t["number"].split("-")[1]) for t in kiosks.issued if t["number"][0] == prefix)
            assert seqs == list(range(1, len(seqs) + 1)), (prefix, seqs)
        assert "Unhandled error" not in server.log()  # (a background push may log its failure)
    finally:
        server.stop()
        _ensure_pg_running()


def _display(url: str, rec: Recorder, zone: str = "lantai-1", tag: str = "") -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.on("board", lambda d: rec.add(f"{tag}board", d), namespace="/display")
    client.on("called", lambda d: rec.add(f"{tag}called", d), namespace="/display")
    client.connect(url, namespaces=["/display"], auth={"zone": zone}, transports=["websocket"], wait_timeout=10)
    return client


@pytest.mark.stops_services
def test_redis_outage_then_calls_reach_the_other_process_again(tmp_path, pg_url, redis_url):
    db_url = _fresh_database(pg_url, "mpp_faults_redis")
    env = {"MPP_QUEUE_DATABASE_URL": db_url, "MPP_QUEUE_MESSAGE_QUEUE": redis_url, **NO_LIMIT}
    a = LiveServer(tmp_path / "a", env=env).start()
    b = None
    display = None
    try:
        b = LiveServer(tmp_path / "b", env=env).start()
        headers = a.token()
        for _ in range(40):
            requests.post(a.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                          headers=a.kiosk_headers("K1"), timeout=5).raise_for_status()
        rec = Recorder()
        display = _display(b.url, rec)
        rec.wait_for("board", lambda d: True)
        wait_until_subscribed(redis_url)  # B listens once its first socket is in: A's call must not come first

        def call() -> str:
            r = requests.post(a.url + "/api/counters/L01/call-next", json={"finish_current": True},
                              headers=headers, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()["ticket"]["number"]

        first = call()
        rec.wait_for("called", lambda d: d["number"] == first)

        subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, timeout=10)
        try:
            assert not _redis_up()
            # the counter keeps working: the call is in the database even if no other process hears it
            during = call()
            assert requests.get(a.url + "/api/health", timeout=5).status_code == 200
            time.sleep(1.0)
        finally:
            _ensure_redis_running()
        assert _redis_up()

        # once Redis is back, calls through A reach the display on B again, without restarting anything
        deadline = time.monotonic() + 45
        delivered = None
        while delivered is None:
            assert time.monotonic() < deadline, f"calls never reached B again: {rec.events[-5:]}"
            number = call()
            try:
                delivered = rec.wait_for("called", lambda d, n=number: d["number"] == n, timeout=2)
            except AssertionError:
                continue
        # and the board a display asks for shows the call made during the outage in the history
        board = requests.get(b.url + "/api/display?zone=lantai-1", timeout=5).json()
        assert board["seq"]["lantai-1"] >= 3
        assert during in str(board) or any(e[1].get("number") == during for e in rec.events)
        for server in (a, b):
            assert "Unhandled error" not in server.log()  # no request failed with a 500
    finally:
        _ensure_redis_running()
        if display is not None and display.connected:
            display.disconnect()
        if b is not None:
            b.stop()
        a.stop()


def test_display_and_phone_catch_up_after_losing_the_network(tmp_path):
    server = LiveServer(tmp_path / "site", env=NO_LIMIT).start()
    try:
        headers = server.token()
        tickets = [requests.post(server.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                                 headers=server.kiosk_headers("K1"), timeout=5).json()
                   for _ in range(4)]
        mine = tickets[3]
        rec = Recorder()
        display = _display(server.url, rec)
        board = rec.wait_for("board", lambda d: True)
        assert board["seq"].get("lantai-1", 0) == 0

        def phone_connect() -> socketio.Client:
            phone = socketio.Client(reconnection=False)
            phone.on("ticket", lambda d: rec.add("ticket", d), namespace="/ticket")
            phone.connect(server.url, namespaces=["/ticket"], auth={"token": mine["token"]},
                          transports=["websocket"], wait_timeout=10)
            return phone

        phone = phone_connect()
        rec.wait_for("ticket", lambda d: d["ahead"] == 3)

        # the hall's Wi-Fi drops: both clients are gone while the clerks go on calling
        display.disconnect()
        phone.disconnect()
        seen = len(rec.events)
        called = []
        for _ in range(3):
            r = requests.post(server.url + "/api/counters/L01/call-next", json={"finish_current": True},
                              headers=headers, timeout=5)
            called.append(r.json()["ticket"]["number"])
        time.sleep(0.5)
        assert len(rec.events) == seen  # nothing reached them while away

        # back on the network: the snapshots on connect carry the state they missed
        display = _display(server.url, rec, tag="again-")
        board = rec.wait_for("again-board", lambda d: True)
        assert board["seq"]["lantai-1"] == 3
        assert board["latest"]["number"] == called[-1]
        current = {c["code"]: c for c in board["counters"]}
        assert called[-1] in str(current["L01"])
        phone = phone_connect()
        view = rec.wait_for("ticket", lambda d: d["ahead"] == 0)
        assert view["status"] == "waiting" and view["number"] == mine["number"]

        # and they are live again: the next call reaches both
        r = requests.post(server.url + "/api/counters/L01/call-next", json={"finish_current": True},
                          headers=headers, timeout=5)
        assert r.json()["ticket"]["number"] == mine["number"]
        assert rec.wait_for("again-called", lambda d: d["number"] == mine["number"])["seq"] == 4
        rec.wait_for("ticket", lambda d: d["status"] == "called" and d["counter"]["code"] == "L01")
        display.disconnect()
        phone.disconnect()
    finally:
        server.stop()


def test_every_connection_busy_answers_503_server_busy_with_when_to_retry(tmp_path):
    """A burst far past what the pool was sized for: a request that waited the pool's whole timeout for a
    connection did nothing, and says so (503 ``server_busy``, ``Retry-After``), not a bare 500."""
    from ..helpers import TEST_SITE, built_app, make_site

    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}
    with built_app(make_site(tmp_path, TEST_SITE), tmp_path / "busy.db", SQLALCHEMY_ENGINE_OPTIONS=options) as app:
        client = app.test_client()
        assert client.get("/api/services").status_code == 200
        with app.app_context():
            held = db.engine.connect()  # the pool's only connection, busy elsewhere
        try:
            resp = client.get("/api/services")
            assert resp.status_code == 503 and resp.json["error"]["code"] == "server_busy"
            assert resp.headers["Retry-After"] == "5"
            page = client.get("/antre", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "sibuk" in page.get_data(as_text=True)
        finally:
            held.close()
        assert client.get("/api/services").status_code == 200  # and serves again once one is free


def test_database_connections_caps_the_pool_without_overflow(tmp_path):
    """``[server] database_connections``: the pool keeps that many connections and never opens one more (a
    burst's extra transactions only compete for the same cores and rows): the next request waits for one."""
    from queue_app.core.siteconfig import load_site_config

    from ..helpers import TEST_SITE, built_app

    path = tmp_path / "config.toml"
    path.write_text(TEST_SITE + "\n[server]\ndatabase_connections = 2\n")
    site = load_site_config(path)
    assert site.database_connections == 2
    with built_app(site, tmp_path / "pool.db", SQLALCHEMY_ENGINE_OPTIONS={"pool_timeout": 0.2}) as app:
        with app.app_context():
            engine = db.engine
        assert engine.pool.size() == 2
        client = app.test_client()
        held = [engine.connect(), engine.connect()]  # both, busy elsewhere: a third is not opened
        try:
            resp = client.get("/api/services")
            assert resp.status_code == 503 and resp.json["error"]["code"] == "server_busy"
            held.pop().close()
            assert client.get("/api/services").status_code == 200  # one free: served on it
        finally:
            for c in held:
                c.close()


def test_database_connections_is_at_least_one(tmp_path):
    from queue_app.core.siteconfig import ConfigError, load_site_config

    from ..helpers import TEST_SITE

    path = tmp_path / "config.toml"
    path.write_text(TEST_SITE + "\n[server]\ndatabase_connections = 0\n")
    with pytest.raises(ConfigError, match=r"server\.database_connections: must be at least 1"):
        load_site_config(path)
