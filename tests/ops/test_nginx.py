"""nginx in front, tried for real (issue 30): Debian's nginx with docs/deploy.md's site file verbatim (see
tests/nginx.py) before two gunicorn processes on PostgreSQL and Redis, as the page deploys them.

Clients bind to other loopback addresses (127.0.0.2...) so nginx sees several real clients: the sticky
hash, ``limit_conn`` and, through ``X-Forwarded-For`` and ``trusted_proxies = 1``, the app's own
per-address limits all count them apart although every upstream connection comes from nginx's 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter

from ..helpers import PASSWORD, TEST_SITE, service_url, sign_in
from ..livesite import ROOT, LiveGunicorn, LiveServer, Recorder, wait_until_subscribed
from ..nginx import Nginx, nginx_installed

pytestmark = pytest.mark.slow

SOCKETS_PER_ADDRESS = 3  # the app's Socket.IO cap, small so the test reaches it
LIMIT_CONN = 64  # docs/deploy.md's limit_conn
HEADER_TIMEOUT = 10  # docs/deploy.md's client_header_timeout


class SourceAddress(HTTPAdapter):
    """A requests adapter whose connections leave from ``source`` (another loopback address)."""

    def __init__(self, source: str, **kwargs) -> None:  # noqa: ANN003
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Stack:
    nginx: Nginx
    apps: list[LiveServer]
    workdir: Path

    @property
    def url(self) -> str:
        return self.nginx.url

    def session(self, source: str = "127.0.0.1") -> requests.Session:
        """HTTPS through nginx from ``source``, the site's certificate verified."""
        s = requests.Session()
        s.trust_env = False  # else REQUESTS_CA_BUNDLE (set on some machines) wins over the session's verify
        s.verify = str(self.nginx.cert)
        s.mount("https://", SourceAddress(source))
        return s

    def upstream_of(self, source: str) -> str:
        """Which process nginx sends ``source`` to (read from the doc's access log, ``upstream=``)."""
        before = len([e for e in self.nginx.access_log() if e["addr"] == source and e["path"] == "/api/health"])
        assert self.session(source).get(self.url + "/api/health", timeout=5).status_code in (200, 503)
        return self.nginx.logged(source, "/api/health", before + 1)[-1]["upstream"]

    def addresses_by_upstream(self, wanted: int) -> dict[str, list[str]]:
        """``wanted`` client addresses per process: the hash decides, so candidates are tried in order."""
        found: dict[str, list[str]] = {}
        for i in range(20, 120):
            addr = f"127.0.0.{i}"
            found.setdefault(self.upstream_of(addr), []).append(addr)
            if len(found) == len(self.apps) and all(len(v) >= wanted for v in found.values()):
                return found
        raise AssertionError(f"100 addresses did not reach every process {wanted} times: {found}")


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    import queue_app.factory  # noqa: F401  (registers every table and /api handler)
    from queue_app.core.models import Base
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not nginx_installed():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's nginx is required under CI (.ci/run installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    pg_url = service_url("MPP_QUEUE_TEST_DATABASE_URL")
    redis_url = service_url("MPP_QUEUE_TEST_REDIS_URL")
    if not pg_url or not redis_url:
        pytest.skip("needs MPP_QUEUE_TEST_DATABASE_URL and MPP_QUEUE_TEST_REDIS_URL (two processes share them)")
    _reset_postgres(pg_url)
    workdir = tmp_path_factory.mktemp("nginx-site")
    apps: list[LiveServer] = [LiveGunicorn(workdir), LiveGunicorn(workdir)]  # one checkout, one instance/
    nginx = Nginx(workdir / "nginx", [a.port for a in apps])
    # docs/deploy.md's config.toml lines for a site behind nginx
    (workdir / "config.toml").write_text(TEST_SITE.replace('base_url = "http://mpp.test"', f'base_url = "{nginx.url}"')
                                         + "\n[server]\ntrusted_proxies = 1\nsecure_cookies = true\n")
    env = {"MPP_QUEUE_DATABASE_URL": pg_url, "MPP_QUEUE_MESSAGE_QUEUE": redis_url,
           "MPP_QUEUE_SOCKETS_PER_ADDRESS": str(SOCKETS_PER_ADDRESS)}
    started: list = []
    try:
        for app in apps:  # one after the other: the first applies config.toml and makes the admin
            app.env = env
            started.append(app.start(timeout=90))
        started.append(nginx.start())
        yield Stack(nginx, apps, workdir)
    finally:
        for thing in reversed(started):
            thing.stop()


def _display(stack: Stack, recorder: Recorder, *, source: str = "127.0.0.1", transport: str = "websocket",
             label: str = "called") -> socketio.Client:
    """A hall display's socket through nginx, sending the Origin a browser on the https page sends (the app's
    same-origin check then needs nginx's X-Forwarded-Proto: https)."""
    client = socketio.Client(reconnection=False, http_session=stack.session(source))
    client.on("board", lambda d: recorder.add(f"{label}-board", d), namespace="/display")
    client.on("called", lambda d: recorder.add(label, d), namespace="/display")
    # websocket-client sends the page's Origin itself (https://host:port); requests sends none: add it
    headers = {"Origin": stack.url} if transport == "polling" else {}
    client.connect(stack.url, namespaces=["/display"], auth={"zone": "lantai-1"}, transports=[transport],
                   headers=headers, wait_timeout=10)
    return client


def _issue(stack: Stack, session: requests.Session | None = None) -> dict:
    session = session or stack.session()
    r = session.post(stack.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                     headers={"X-Kiosk-Key": stack.apps[0].kiosk_key("K1")}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def _call(stack: Stack) -> dict:
    session = stack.session()
    token = session.post(stack.url + "/api/auth/token", json={"username": "admin",
                                                              "password": stack.apps[0].admin_password}, timeout=5)
    r = session.post(stack.url + "/api/counters/L01/call-next", json={"finish_current": True},
                     headers={"Authorization": f"Bearer {token.json()['token']}"}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["ticket"]


# --- TLS, the doc's file, static files ---------------------------------------------------------------


def test_tls_with_the_sites_certificate_and_http_sent_to_https(stack):
    resp = stack.session().get(stack.url + "/api/services", timeout=5)  # verified against the site's certificate
    assert resp.status_code == 200 and resp.json()
    assert resp.headers["Cache-Control"] == "no-store"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(stack.url + "/api/services", timeout=5)  # not a certificate the system trusts
    plain = requests.get(f"http://127.0.0.1:{stack.nginx.http_port}/display?zone=lantai-1", allow_redirects=False,
                         timeout=5)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://127.0.0.1/display?zone=lantai-1"
    # X-Forwarded-Proto https reached the app: its cookies are Secure
    login = stack.session().get(stack.url + "/login", timeout=5)
    assert login.status_code == 200 and "Secure" in login.headers["Set-Cookie"]


STATIC = [("/static/", ROOT / "queue_app/static"), ("/admin/static/", ROOT / "admin/static"),
          ("/counter/static/", ROOT / "counter/static"), ("/dashboard/static/", ROOT / "dashboard/static"),
          ("/display/static/", ROOT / "display/static"), ("/kiosk/static/", ROOT / "kiosk/static"),
          ("/visitor/static/", ROOT / "visitor/static"), ("/booking/static/", ROOT / "booking_page/static"),
          ("/survey/static/", ROOT / "survey_tablet/static")]


@pytest.mark.parametrize(("prefix", "folder"), STATIC, ids=[p for p, _ in STATIC])
def test_static_files_come_from_disk_with_cache_headers(stack, prefix, folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert files, folder
    session = stack.session("127.0.0.4")
    for path in (files[0], files[-1]):
        url = prefix + path.relative_to(folder).as_posix()
        resp = session.get(stack.url + url, timeout=5)
        assert resp.status_code == 200 and resp.content == path.read_bytes(), url
        assert resp.headers["Cache-Control"] == "public, no-cache" and resp.headers["ETag"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        again = session.get(stack.url + url, headers={"If-None-Match": resp.headers["ETag"]}, timeout=5)
        assert again.status_code == 304  # a display reloading asks, nginx answers from the file's date
        served = stack.nginx.logged("127.0.0.4", url, 2)
        assert all(e["upstream"] == "-" for e in served)  # never reached Python


def test_the_display_voice_comes_from_disk_and_pages_from_the_app(stack):
    session = stack.session("127.0.0.4")
    chime = session.get(stack.url + "/display/audio/chime.mp3", timeout=5)
    assert chime.content == (ROOT / "display/audio/chime.mp3").read_bytes()
    assert chime.headers["Cache-Control"] == "public, max-age=86400"
    page = session.get(stack.url + "/display?zone=lantai-1", timeout=5)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert stack.nginx.logged("127.0.0.4", "/display/audio/chime.mp3")[-1]["upstream"] == "-"
    assert stack.nginx.logged("127.0.0.4", "/display")[-1]["upstream"] in {f"127.0.0.1:{a.port}" for a in stack.apps}


def test_the_access_log_names_the_route_never_the_token(stack):
    ticket = _issue(stack)
    session = stack.session("127.0.0.6")
    assert session.get(f"{stack.url}/t/{ticket['token']}", timeout=5).status_code == 200
    assert session.get(f"{stack.url}/api/tickets/{ticket['token']}", timeout=5).status_code == 200
    stack.nginx.logged("127.0.0.6", "/api/tickets/<token>")
    assert ticket["token"] not in stack.nginx.access_log_path.read_text()
    paths = [e["path"] for e in stack.nginx.access_log() if e["addr"] == "127.0.0.6"]
    assert paths == ["/t/<token>", "/api/tickets/<token>"]


# --- a ticket, a call, sockets through TLS, sticky sessions ----------------------------------------------


def test_a_ticket_and_a_call_reach_displays_through_tls(stack):
    """A WebSocket display on the process 127.0.0.1 reaches, a polling one from an address sent to the other."""
    mine = stack.upstream_of("127.0.0.1")
    elsewhere = next(addrs for up, addrs in stack.addresses_by_upstream(1).items() if up != mine)[0]
    rec = Recorder()
    clients = [_display(stack, rec, label="ws"),
               _display(stack, rec, source=elsewhere, transport="polling", label="poll")]
    try:
        assert clients[0].transport() == "websocket" and clients[1].transport() == "polling"
        rec.wait_for("ws-board", lambda d: True)
        rec.wait_for("poll-board", lambda d: True)
        wait_until_subscribed(service_url("MPP_QUEUE_TEST_REDIS_URL"), processes=len(stack.apps))
        _issue(stack)
        start = time.monotonic()
        called = _call(stack)  # the oldest waiting ticket (other tests of the module issue some too)
        for label in ("ws", "poll"):
            rec.wait_for(label, lambda d: d["number"] == called["number"])
        print(f"\ncall through nginx heard by a WebSocket and a polling display in {time.monotonic() - start:.3f} s")
    finally:
        for c in clients:
            c.disconnect()


def test_polling_clients_stick_to_one_process_and_hear_calls_made_on_the_other(stack):
    """Socket.IO's polling sends a request per message: each must reach the process holding the session."""
    by_upstream = stack.addresses_by_upstream(2)
    sources = [a for addrs in by_upstream.values() for a in addrs[:2]]
    rec = Recorder()
    clients = []
    try:
        for source in sources:
            clients.append(_display(stack, rec, source=source, transport="polling", label=source))
            rec.wait_for(f"{source}-board", lambda d: True)
        wait_until_subscribed(service_url("MPP_QUEUE_TEST_REDIS_URL"), processes=len(stack.apps))
        _issue(stack)
        called = _call(stack)  # made through whichever process 127.0.0.1 hashes to; Redis carries it
        for source in sources:
            rec.wait_for(source, lambda d: d["number"] == called["number"])
        for source in sources:  # a session's handshake, namespace connect, polls...
            upstreams = {e["upstream"] for e in stack.nginx.logged(source, "/socket.io/", 3)}
            assert len(upstreams) == 1, (source, upstreams)  # every poll of the session on one process
        assert len({u for u in by_upstream}) == len(stack.apps) == 2  # and both processes served some
    finally:
        for c in clients:
            c.disconnect()


# --- limits see the real client ------------------------------------------------------------------------


def _engineio_open(session: requests.Session, url: str, **headers: str) -> requests.Response:
    return session.get(url + "/socket.io/?EIO=4&transport=polling", headers=headers, timeout=5)


def _engineio_close(session: requests.Session, url: str, resp: requests.Response) -> None:
    sid = json.loads(resp.text[1:])["sid"]
    session.post(f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}", data="1", timeout=5)


def test_the_apps_per_address_socket_cap_counts_each_real_client(stack):
    """Every upstream connection comes from nginx; X-Forwarded-For tells the app who is asking."""
    by_upstream = stack.addresses_by_upstream(2)
    greedy, neighbour = next(addrs for addrs in by_upstream.values())[:2]  # same process, two clients
    mine = stack.session(greedy)
    opened = [_engineio_open(mine, stack.url) for _ in range(SOCKETS_PER_ADDRESS)]
    try:
        assert [r.status_code for r in opened] == [200] * SOCKETS_PER_ADDRESS
        refused = _engineio_open(mine, stack.url)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "too_many_connections"
        # a forged X-Forwarded-For does not make it someone else: nginx appends the address it saw
        assert _engineio_open(mine, stack.url, **{"X-Forwarded-For": "10.9.8.7"}).status_code == 401
        other = stack.session(neighbour)
        neighbours = _engineio_open(other, stack.url)
        assert neighbours.status_code == 200  # the same process, another phone: not affected
        _engineio_close(other, stack.url, neighbours)
    finally:
        for r in opened:
            if r.status_code == 200:
                _engineio_close(mine, stack.url, r)


def _tls(source: str, port: int, cafile: str) -> ssl.SSLSocket:
    raw = socket.socket()
    raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    return ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname="127.0.0.1")


def _closed(s: ssl.SSLSocket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def test_nginx_caps_requests_per_address_and_closes_half_open_connections(stack):
    """limit_conn: an address's 65th request in progress is refused (429), another address is served;
    client_header_timeout: a connection that never finishes its headers is closed."""
    cafile = str(stack.nginx.cert)
    port = stack.nginx.https_port
    half_open = _tls("127.0.0.8", port, cafile)
    half_open.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    opened_at = time.monotonic()
    held: list[ssl.SSLSocket] = []
    try:
        for _ in range(LIMIT_CONN):  # requests whose body never comes: each is "in progress" for nginx
            s = _tls("127.0.0.9", port, cafile)
            s.sendall(b"POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 40\r\n\r\n")
            held.append(s)
        greedy = stack.session("127.0.0.9")
        deadline = time.monotonic() + 5
        while (status := greedy.get(stack.url + "/api/health", timeout=5).status_code) != 429:
            assert time.monotonic() < deadline, f"the {LIMIT_CONN + 1}th request got {status}, not 429"
            time.sleep(0.05)
        start = time.monotonic()
        other = stack.session("127.0.0.10").get(stack.url + "/api/services", timeout=5)
        took = time.monotonic() - start
        assert other.status_code == 200 and took < 1.0
        print(f"\nnginx: {LIMIT_CONN} requests held by 127.0.0.9, its next one 429; 127.0.0.10 answered in "
              f"{took * 1000:.0f} ms")
        while not _closed(half_open):
            assert time.monotonic() - opened_at < HEADER_TIMEOUT + 5, "the half-open connection was kept"
            time.sleep(0.1)
        closed_after = time.monotonic() - opened_at
        print(f"nginx closed the half-open connection after {closed_after:.1f} s")
        assert HEADER_TIMEOUT - 1 <= closed_after <= HEADER_TIMEOUT + 5
    finally:
        for s in (half_open, *held):
            s.close()


# --- a browser ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_chromium_through_nginx_gets_the_display_over_wss_and_sees_a_call(stack, browser):
    context = browser.new_context(ignore_https_errors=True, locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        with page.expect_websocket(lambda ws: "/socket.io/" in ws.url, timeout=10_000) as opened:
            page.goto(stack.url + "/display?zone=lantai-1")
        ws = opened.value
        assert ws.url.startswith(stack.url.replace("https:", "wss:"))
        page.wait_for_selector("#display[data-state=live]", timeout=10_000)
        _issue(stack)
        called = _call(stack)
        page.wait_for_function("n => document.getElementById('now-number').textContent === n",
                               arg=called["number"], timeout=5000)
        # a clerk signs in through nginx (a Secure cookie over https) and the panel's socket connects too
        stack.apps[0].add_user("clerk9", PASSWORD, "clerk", ("L02",))
        panel = context.new_page()
        with panel.expect_websocket(lambda w: "/socket.io/" in w.url, timeout=10_000) as panel_ws:
            sign_in(panel, stack, "clerk9", "/counter/L02")
        panel_ws.value.wait_for_event("framereceived", timeout=10_000)
        assert errors == []
    finally:
        context.close()
