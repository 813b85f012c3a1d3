"""Who may take a ticket, limits behind proxies, staff scope, and access that ends everywhere at once
(issue 11; docs/security.md names each test)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.extensions import db, socketio

from ..helpers import built_app, error_of, kiosk_headers, kiosk_key, login, make_site, take_ticket

pytestmark = pytest.mark.both_databases



@pytest.fixture
def public_app(tmp_path, db_url):
    """The test site with ``[site] public_tickets = true``."""
    with built_app(make_site(tmp_path, public_tickets=True), db_url) as app:
        yield app


# --- 1. who may take a ticket ----------------------------------------------------------------------


def test_the_issue_curl_gets_401_whatever_its_content_type(client):
    """The curl of issue 11: anonymous, text/plain, priority. Refused for want of a kiosk, not for its type."""
    body = '{"service":"PERIZINAN","priority":true}'
    for content_type in ("text/plain", "application/json"):
        resp = client.post("/api/tickets", data=body, content_type=content_type)
        assert error_of(resp, 401)["code"] == "kiosk_required"
    assert client.get("/api/services").json[0]["waiting"] == 0


def test_naming_a_kiosk_needs_that_kiosks_key(client):
    body = {"service": "PERIZINAN", "priority": True, "kiosk": "K1"}
    assert error_of(client.post("/api/tickets", json=body), 401)["code"] == "kiosk_unauthorized"
    wrong = {"X-Kiosk-Key": "not-the-key"}
    assert error_of(client.post("/api/tickets", json=body, headers=wrong), 401)["code"] == "kiosk_unauthorized"
    k2 = kiosk_headers(client.application, "K2")  # a real key, of another kiosk
    assert error_of(client.post("/api/tickets", json=body, headers=k2), 401)["code"] == "kiosk_unauthorized"
    # a key without naming the kiosk is no kiosk at all
    resp = client.post("/api/tickets", json={"service": "PERIZINAN"}, headers=kiosk_headers(client.application))
    assert error_of(resp, 401)["code"] == "kiosk_required"
    ok = take_ticket(client, priority=True)
    assert ok.status_code == 201 and ok.json["priority"] is True


def test_a_new_kiosk_key_ends_the_old_one(app, client):
    from queue_app.staff.devices import create_key

    old = kiosk_key(app, "K1")
    assert take_ticket(client).status_code == 201
    with app.app_context():
        new = create_key("kiosk", "K1")
        db.session.commit()
    body = {"service": "PERIZINAN", "kiosk": "K1"}
    assert error_of(client.post("/api/tickets", json=body, headers={"X-Kiosk-Key": old}), 401)["code"] == \
        "kiosk_unauthorized"
    assert client.post("/api/tickets", json=body, headers={"X-Kiosk-Key": new}).status_code == 201
    with app.app_context():  # stored hashed: the plain key is nowhere in the database
        from queue_app.core.models import Setting

        stored = db.session.get(Setting, "kiosk_key:K1").value
        assert new not in str(stored) and len(stored["sha256"]) == 64


def test_staff_may_issue_tickets_with_priority(client, clerk, staff):
    resp = client.post("/api/tickets", json={"service": "PERIZINAN", "priority": True}, headers=clerk)
    assert resp.status_code == 201 and resp.json["priority"] is True
    # an information desk in a browser session: CSRF header required, like every staff write
    web = client.application.test_client()
    staff.user("desk", "clerk", ["L01"])
    csrf = login(web, "desk")
    assert web.post("/api/tickets", json={"service": "NONIZIN"}).status_code == 400
    assert web.post("/api/tickets", json={"service": "NONIZIN", "priority": True},
                    headers={"X-CSRFToken": csrf}).status_code == 201


def test_an_enrolled_browser_cookie_counts_only_from_the_sites_own_pages(client):
    from queue_app.staff.devices import COOKIE, cookie_value

    client.set_cookie(COOKIE, cookie_value("kiosk", "K1", kiosk_key(client.application, "K1")))
    body = {"service": "PERIZINAN", "kiosk": "K1"}
    assert client.post("/api/tickets", json=body, headers={"Origin": "http://localhost"}).status_code == 201
    foreign = client.post("/api/tickets", json=body, headers={"Origin": "http://evil.example"})
    assert error_of(foreign, 401)["code"] == "kiosk_unauthorized"
    cross = client.post("/api/tickets", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert error_of(cross, 401)["code"] == "kiosk_unauthorized"
    # the cookie is for K1 only
    other = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K2"})
    assert error_of(other, 401)["code"] == "kiosk_unauthorized"


def test_public_mode_allows_anonymous_tickets_without_priority_or_printing(public_app):
    client = public_app.test_client()
    resp = client.post("/api/tickets", json={"service": "PERIZINAN"})
    assert resp.status_code == 201 and resp.json["print"] == {"status": "none", "error": None}
    assert resp.json["priority"] is False
    refused = client.post("/api/tickets", json={"service": "PERIZINAN", "priority": True})
    assert error_of(refused, 403)["code"] == "priority_not_allowed"
    # naming a kiosk (to print on its paper) still needs that kiosk's key
    named = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K2"})
    assert error_of(named, 401)["code"] == "kiosk_unauthorized"
    assert take_ticket(client, priority=True, kiosk="K2").status_code == 201


def test_public_mode_has_a_tight_limit_per_address(public_app):
    public_app.config.update(RATELIMIT_TICKETS_PUBLIC=2, RATELIMIT_TICKETS_PER_KIOSK=100)
    client = public_app.test_client()
    for _ in range(2):
        assert client.post("/api/tickets", json={"service": "NONIZIN"}).status_code == 201
    refused = client.post("/api/tickets", json={"service": "NONIZIN"})
    assert error_of(refused, 429)["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    other = client.post("/api/tickets", json={"service": "NONIZIN"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 201  # another phone has its own budget
    assert take_ticket(client, "NONIZIN").status_code == 201  # and the kiosk is not held up by phones


def test_ratelimit_tickets_0_turns_both_ticket_limits_off():
    code = "from queue_app.core.config import Config as C; print(C.RATELIMIT_TICKETS_PER_KIOSK, C.RATELIMIT_TICKETS_PUBLIC)"
    env_off = {"MPP_QUEUE_RATELIMIT_TICKETS": "0"}
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env_off}).stdout.split()
    assert out == ["0", "0"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("MPP_QUEUE_RATELIMIT")}
                         ).stdout.split()
    assert out == ["120", "6"]


# --- 2. limits behind a proxy --------------------------------------------------------------------


@pytest.mark.parametrize("proxies", [0, 1])
def test_trusted_proxies_decides_which_address_is_counted(tmp_path, db_url, proxies):
    import tomllib

    from queue_app.core.siteconfig import parse_site_config

    from ..helpers import TEST_SITE

    raw = tomllib.loads(TEST_SITE)
    raw["server"] = {"trusted_proxies": proxies}
    site = parse_site_config(raw, base_dir=tmp_path)
    with built_app(site, db_url) as app:
        app.config.update(RATELIMIT_LOGIN=2)
        client = app.test_client()
        guest = {"X-Forwarded-For": "192.168.7.50"}
        for _ in range(2):
            client.post("/api/auth/token", json={"username": "kasir", "password": "x"}, headers=guest)
        clerk = {"X-Forwarded-For": "10.1.0.3"}  # another client behind the same nginx
        status = client.post("/api/auth/token", json={"username": "kasir", "password": "x"}, headers=clerk).status_code
        # with the proxy trusted the clerk has their own count; without, everyone is the proxy's address
        assert status == (401 if proxies else 429)


def test_trusted_proxies_is_validated(tmp_path):
    import tomllib

    from queue_app.core.siteconfig import ConfigError, parse_site_config

    from ..helpers import TEST_SITE

    raw = tomllib.loads(TEST_SITE)
    raw["server"] = {"trusted_proxies": -1}
    with pytest.raises(ConfigError, match="trusted_proxies"):
        parse_site_config(raw, base_dir=tmp_path)


# --- 3. staff scope --------------------------------------------------------------------------------


def test_counter_namespace_is_for_clerks_and_admins(app, staff):
    tokens = {role: staff.headers(f"{role}1", role, ["L01"] if role == "clerk" else [])["Authorization"][7:]
              for role in ("clerk", "manager", "admin")}
    for role, token in tokens.items():
        c = socketio.test_client(app, namespace="/counter", auth={"token": token})
        assert c.is_connected("/counter") == (role != "manager"), role
        if c.is_connected("/counter"):
            c.disconnect("/counter")


def test_no_visitor_token_reaches_staff(app, client, clerk, staff):
    ticket = take_ticket(client).json
    c = socketio.test_client(app, namespace="/counter", auth={"token": clerk["Authorization"][7:]})
    d = socketio.test_client(app, namespace="/dashboard", auth={"token": staff.headers("boss", "admin")
                                                                ["Authorization"][7:]})
    assert client.post("/api/counters/L01/call-next", json={}, headers=clerk).status_code == 200
    seen = repr(c.get_received("/counter")) + repr(d.get_received("/dashboard"))
    assert "A-001" in seen and ticket["token"] not in seen
    listed = client.get("/api/counters", headers=clerk).get_data(as_text=True)
    assert "A-001" in listed and ticket["token"] not in listed and '"token"' not in listed
    queue = client.get("/api/counters/L01/queue", headers=clerk).get_data(as_text=True)
    assert ticket["token"] not in queue
    c.disconnect("/counter")
    d.disconnect("/dashboard")


def test_counters_list_is_scoped_like_the_dashboard(client, staff):
    scoped = staff.headers("mgr-halal", "manager", agency="DINKOPUKM")
    assert [c["code"] for c in client.get("/api/counters", headers=scoped).json] == ["L03"]
    everyone = staff.headers("mgr-all", "manager")
    assert [c["code"] for c in client.get("/api/counters", headers=everyone).json] == ["L01", "L02", "L03"]
    assert client.get("/api/counters?agency=DPMPTSP", headers=scoped).status_code == 403


# --- 4. access ends everywhere at once ---------------------------------------------------------------


def _counter_socket(app, token: str | None = None, web=None):  # noqa: ANN001, ANN202
    auth = {"token": token} if token else None
    c = socketio.test_client(app, namespace="/counter", auth=auth, flask_test_client=web)
    assert c.is_connected("/counter")
    return c


def _ended(c, namespace: str = "/counter", wait: float = 3.0) -> bool:  # noqa: ANN001
    """Whether the server disconnected ``c`` (it does so in a background task, right after the commit)."""
    import time

    deadline = time.monotonic() + wait
    while c.is_connected(namespace) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not c.is_connected(namespace)


def test_disabling_a_user_disconnects_their_sockets(app, client, staff, admin):
    token = staff.headers("kasir", "clerk", ["L01"])["Authorization"][7:]
    web = app.test_client()
    login(web, "kasir")
    by_token, by_session = _counter_socket(app, token), _counter_socket(app, web=web)
    bystander = _counter_socket(app, staff.headers("other", "clerk", ["L02"])["Authorization"][7:])
    assert client.post("/api/admin/users/kasir/disable", headers=admin).status_code == 200
    assert _ended(by_token) and _ended(by_session)
    assert not _ended(bystander, wait=0.3)
    bystander.disconnect("/counter")


def test_a_password_reset_disconnects_their_sockets(app, client, staff, admin):
    token = staff.headers("kasir", "clerk", ["L01"])["Authorization"][7:]
    sock = _counter_socket(app, token)
    resp = client.post("/api/admin/users/kasir/password", json={"password": "baru-sekali-123"}, headers=admin)
    assert resp.status_code == 200
    assert _ended(sock)


def test_signing_out_disconnects_that_browsers_sockets_only(app, staff):
    staff.user("kasir", "clerk", ["L01"])
    here, there = app.test_client(), app.test_client()
    csrf = login(here, "kasir")
    login(there, "kasir")
    mine, elsewhere = _counter_socket(app, web=here), _counter_socket(app, web=there)
    assert here.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert _ended(mine) and not _ended(elsewhere, wait=0.3)
    elsewhere.disconnect("/counter")


def test_delete_auth_token_revokes_it_and_its_sockets(app, client, staff):
    headers = staff.headers("kasir", "clerk", ["L01"])
    other = staff.headers("kasir", "clerk", ["L01"])  # the same user's second client
    sock, sock2 = _counter_socket(app, headers["Authorization"][7:]), _counter_socket(app, other["Authorization"][7:])
    assert client.delete("/api/auth/token", headers=headers).json == {"ok": True}
    assert client.get("/api/me", headers=headers).status_code == 401
    assert _ended(sock) and not _ended(sock2, wait=0.3)
    assert client.get("/api/me", headers=other).status_code == 200
    assert client.delete("/api/auth/token").status_code == 401
    sock2.disconnect("/counter")


def test_expired_tokens_are_purged_and_their_sockets_closed(app, staff):
    from queue_app.live.namespaces import sweep_staff
    from queue_app.staff.auth import purge_expired_tokens
    from queue_app.staff.models import ApiToken

    first = _counter_socket(app, staff.headers("kasir", "clerk", ["L01"])["Authorization"][7:])
    clock.travel(timedelta(hours=13))  # token_hours = 12
    try:
        with app.app_context():  # between two housekeeping rounds: the sweep alone catches it
            assert sweep_staff() == 1
        assert _ended(first)
        second = _counter_socket(app, staff.headers("kasir", "clerk", ["L01"])["Authorization"][7:])
        clock.travel(timedelta(hours=13))
        with app.app_context():
            assert purge_expired_tokens() == 2
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
        assert _ended(second)
    finally:
        clock.reset()


def test_a_new_agent_key_disconnects_the_agent(tmp_path, db_url):
    from queue_app.printing.agents import create_key

    from ..helpers import TEST_SITE

    site = make_site(tmp_path, TEST_SITE + '\n[[printers]]\ncode = "ag"\nkind = "agent"\n')
    with built_app(site, db_url) as app:
        with app.app_context():
            key = create_key("ag")
            db.session.commit()
        agent = socketio.test_client(app, namespace="/agent", auth={"printer": "ag", "key": key})
        assert agent.is_connected("/agent")
        with app.app_context():
            create_key("ag")  # the command line's `printer key ag` on a site with the message queue
            db.session.commit()
        assert _ended(agent, "/agent")
        again = socketio.test_client(app, namespace="/agent", auth={"printer": "ag", "key": key})
        assert not again.is_connected("/agent")  # the old key is over


def test_sockets_of_other_processes_are_reached_through_the_message_queue(app):
    """``access_ended`` is an emit like any other: with Redis it is published, and each process disconnects
    its own members of the room (queue_app.live.revoke). Shown here on the manager classes."""
    from queue_app.live.revoke import RevokingManager, RevokingRedisManager

    assert issubclass(RevokingRedisManager, RevokingManager)
    mro = [k.__name__ for k in RevokingRedisManager.__mro__]
    # PubSubManager's local delivery (super().emit in _handle_emit) lands in RevokingManager.emit
    assert mro.index("PubSubManager") < mro.index("RevokingManager") < mro.index("Manager")


def test_admin_kiosks_page_enrols_this_browser_and_signs_the_admin_out(app, staff):
    from queue_app.staff.admin import audit_entries

    staff.user("boss", "admin")
    staff.user("kasir", "clerk", ["L01"])
    clerk = app.test_client()
    login(clerk, "kasir")
    assert clerk.get("/admin/kiosks").status_code == 403
    pc = app.test_client()
    login(pc, "boss")
    page = pc.get("/admin/kiosks").get_data(as_text=True)
    assert 'data-enrol="K1"' in page and 'data-enrol="K2"' in page and "Belum terdaftar" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert pc.post("/admin/kiosks/K1/enrol").status_code == 400  # no CSRF token
    assert pc.post("/admin/kiosks/K9/enrol", data={"csrf_token": csrf}).status_code == 404
    resp = pc.post("/admin/kiosks/K1/enrol", data={"csrf_token": csrf})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/kiosk/K1")
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("mpp_device="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "kiosk:K1:" in cookie
    assert pc.get("/api/me").status_code == 401  # the admin is signed out of the kiosk PC
    assert take_ticket_by_cookie(pc).status_code == 201
    assert 'id="not-enrolled"' not in pc.get("/kiosk/K1").get_data(as_text=True)
    assert 'id="not-enrolled"' in clerk.get("/kiosk/K1").get_data(as_text=True)
    with app.app_context():
        entry, who = audit_entries(limit=1)[0]
        assert (entry.action, entry.target, who) == ("device_enrolled", "kiosk:K1", "boss")


def take_ticket_by_cookie(client):  # noqa: ANN001, ANN201
    """What the kiosk page's script does: a same-origin fetch that carries the enrolled browser's cookie."""
    return client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                       headers={"Origin": "http://localhost"})


def test_housekeeping_purges_expired_tokens(app, staff):
    from queue_app.ops.server import housekeeping
    from queue_app.staff.models import ApiToken

    staff.headers("kasir", "clerk", ["L01"])
    fresh = staff.headers("boss", "admin")
    with app.app_context():
        from queue_app.core.database import begin_write
        from queue_app.staff.models import User

        begin_write()
        row = db.session.scalar(sa.select(ApiToken).join(User).where(User.username == "kasir"))
        row.expires_at = clock.utcnow() - timedelta(minutes=1)
        db.session.commit()
    housekeeping(app)
    with app.app_context():
        left = db.session.scalars(sa.select(ApiToken)).all()
        assert [t.user.username for t in left] == ["boss"]
    assert app.test_client().get("/api/me", headers=fresh).status_code == 200


def _recording_manager(steps: list):
    from queue_app.live.revoke import RevokingRedisManager

    mgr = RevokingRedisManager("redis://127.0.0.1:6379/15", channel="order-test")  # connects only to publish
    mgr._publish = lambda message: steps.append(("publish", message))
    mgr._handle_emit = lambda message: steps.append(("local", message))
    return mgr


def test_a_call_is_published_to_the_other_processes_before_this_one_sends_it():
    """python-socketio sends to the local sockets and then publishes: another process's displays waited for
    all of this one's sends (bench/scale_out.py). Ours publishes first, the same message."""
    import socketio as sio

    ours, theirs = [], []
    _recording_manager(ours).emit("called", {"number": "A-001"}, namespace="/display", to="zone:lantai-1")
    mgr = _recording_manager(theirs)
    sio.PubSubManager.emit(mgr, "called", {"number": "A-001"}, namespace="/display", to="zone:lantai-1")
    assert [step for step, _ in ours] == ["publish", "local"]
    assert [step for step, _ in theirs] == ["local", "publish"]
    theirs[0][1]["host_id"] = ours[0][1]["host_id"]  # each manager has its own id
    assert ours[0][1] == ours[1][1] == theirs[0][1]
    # several arguments travel as PubSubManager sends them; binary data keeps its way (encoded first)
    args, binary = [], []
    _recording_manager(args).emit("x", (1, "two"), namespace="/ticket", room="queue:1")
    assert args[0][1]["data"] == [1, "two"] and args[0][0] == "publish"
    _recording_manager(binary).emit("x", b"\x00\x01", namespace="/ticket", room="queue:1")
    assert [step for step, _ in binary] == ["local", "publish"] and binary[0][1]["binary"] is True


def test_the_message_queue_gives_up_connecting_quickly_since_a_call_is_published_before_it_is_sent():
    """A publish that hangs on a Redis that does not answer would now also hold this process's own sends."""
    import redis

    from queue_app.live.revoke import REDIS_CONNECT_SECONDS, client_manager

    mgr = client_manager("redis://10.255.255.1:6379/0", "timeout-test")  # a non-routable address: no answer
    assert mgr.redis_options == {"socket_connect_timeout": REDIS_CONNECT_SECONDS}
    pool = redis.Redis.from_url(mgr.redis_url, **mgr.redis_options).connection_pool
    assert pool.connection_kwargs["socket_connect_timeout"] == REDIS_CONNECT_SECONDS
    assert pool.connection_kwargs.get("socket_timeout") is None  # the listener waits on a quiet channel
