"""Sessions that end on the server (issue 30, contract "Hardening (third round)"): changing one's own password
ends every other session and token of the user and closes their sockets; signing out ends the session so a
copy of its cookie is refused; guessing the current password is limited. docs/security.md names each test."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.extensions import db, socketio
from queue_app.staff.models import User
from queue_app.staff.password import change_password

from ..helpers import PASSWORD, built_app, login, make_site

pytestmark = pytest.mark.both_databases

NEW = "kata-sandi-baru-1"


def _socket(app, namespace: str = "/counter", token: str | None = None, web=None):  # noqa: ANN001, ANN202
    c = socketio.test_client(app, namespace=namespace, auth={"token": token} if token else None,
                             flask_test_client=web)
    assert c.is_connected(namespace)
    return c


def _ended(c, namespace: str = "/counter", wait: float = 3.0) -> bool:  # noqa: ANN001
    """Whether the server disconnected ``c`` (it does so in a background task, right after the commit)."""
    deadline = time.monotonic() + wait
    while c.is_connected(namespace) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not c.is_connected(namespace)


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"][7:]


def test_changing_ones_password_over_the_api_ends_every_other_session_token_and_socket(app, staff):
    mine = staff.headers("kasir", "clerk", ["L01"])
    other = staff.headers("kasir", "clerk", ["L01"])  # the same user's second client (a stolen token)
    browser = app.test_client()
    login(browser, "kasir")
    my_socket, other_socket = _socket(app, token=_token(mine)), _socket(app, token=_token(other))
    browser_socket = _socket(app, web=browser)
    bystander = _socket(app, token=_token(staff.headers("siti", "clerk", ["L02"])))
    api = app.test_client()
    resp = api.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=mine)
    assert resp.status_code == 200, resp.text
    assert api.get("/api/me", headers=other).status_code == 401
    assert browser.get("/api/me").status_code == 401
    assert _ended(other_socket) and _ended(browser_socket)
    # the client that changed it goes on, and so do other users
    assert api.get("/api/me", headers=mine).status_code == 200
    assert not _ended(my_socket, wait=0.3) and not _ended(bystander, wait=0.1)
    my_socket.disconnect("/counter")
    bystander.disconnect("/counter")


def test_a_password_changed_outside_a_request_ends_every_session_and_token(app, staff):
    """The command line (or a script) changing a password keeps no credential of its own: all of them end."""
    token = staff.headers("kasir", "clerk", ["L01"])
    browser = app.test_client()
    login(browser, "kasir")
    with app.app_context():
        change_password(db.session.scalar(sa.select(User).where(User.username == "kasir")), PASSWORD, NEW)
        db.session.commit()
    assert app.test_client().get("/api/me", headers=token).status_code == 401
    assert browser.get("/api/me").status_code == 401


def test_changing_ones_password_on_the_page_ends_the_other_browsers_and_tokens(app, staff):
    token = staff.headers("kasir", "clerk", ["L01"])
    here, there = app.test_client(), app.test_client()
    login(here, "kasir")
    login(there, "kasir")
    there_socket = _socket(app, web=there)
    page = here.get("/password")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = here.post("/password", data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW,
                                        "repeat_password": NEW})
    assert resp.status_code == 302, resp.text
    assert here.get("/api/me").status_code == 200
    assert there.get("/api/me").status_code == 401
    assert app.test_client().get("/api/me", headers=token).status_code == 401
    assert _ended(there_socket)


def test_a_token_made_with_the_generated_first_admin_password_ends_when_it_is_changed(tmp_path, db_url):
    from queue_app.startup import bootstrap

    with built_app(make_site(tmp_path), db_url) as app:
        generated = re.search(r"password: (\S+)", bootstrap(app, migrate_db=False).read_text()).group(1)
        api = app.test_client()
        leaked = {"Authorization": "Bearer " + api.post("/api/auth/token", json={
            "username": "admin", "password": generated}).json["token"]}
        browser = app.test_client()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
        assert browser.post("/login", data={"username": "admin", "password": generated,
                                            "csrf_token": csrf}).status_code == 302
        page = browser.get("/password")  # where a generated password holds its user
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        resp = browser.post("/password", data={"csrf_token": csrf, "current_password": generated,
                                               "new_password": NEW, "repeat_password": NEW})
        assert resp.status_code == 302
        assert browser.get("/api/me").status_code == 200
        # the token made with the generated password no longer reaches even the password change
        assert api.get("/api/me", headers=leaked).status_code == 401
        assert api.post("/api/auth/password", json={"current_password": NEW, "new_password": "lagi-baru-123"},
                        headers=leaked).status_code == 401


def test_a_copied_session_cookie_is_refused_after_sign_out(app, staff):
    staff.user("kasir", "clerk", ["L01"])
    browser = app.test_client()
    csrf = login(browser, "kasir")
    cookie = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/api/me").status_code == 200
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert thief.get("/api/me").status_code == 401
    assert thief.get("/counter/").status_code == 302  # back to the sign-in form
    # signing in again is a new session; the old cookie stays dead
    login(browser, "kasir")
    assert thief.get("/api/me").status_code == 401


def test_signing_out_over_the_api_ends_the_session_on_the_server(app, staff):
    staff.user("kasir", "clerk", ["L01"])
    browser = app.test_client()
    csrf = login(browser, "kasir")
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert browser.delete("/api/auth/token", headers={"X-CSRFToken": csrf}).json == {"ok": True}
    assert thief.get("/api/me").status_code == 401


def test_guessing_the_current_password_is_limited_per_user(app, staff):
    from queue_app.core.limits import limiter

    app.config["RATELIMIT_PASSWORD_GUESSES"] = 3
    mine = staff.headers("kasir", "clerk", ["L01"])
    colleague = staff.headers("siti", "clerk", ["L02"])
    api = app.test_client()
    for _ in range(3):
        resp = api.post("/api/auth/password", json={"current_password": "tebak-tebak", "new_password": NEW},
                        headers=mine)
        assert resp.json["error"]["code"] == "wrong_password"
    # over the limit the right password does not help: guessing stays slow
    refused = api.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW},
                       headers=mine)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    # the page shares the count (the same user, another way in)
    browser = app.test_client()
    login(browser, "kasir")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/password").text).group(1)
    assert browser.post("/password", data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW,
                                           "repeat_password": NEW}).status_code == 429
    # another user is not held up
    assert api.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW},
                    headers=colleague).status_code == 200
    limiter.storage.reset()  # fifteen minutes later
    assert api.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW},
                    headers=mine).status_code == 200


def test_housekeeping_ends_idle_session_rows_and_their_sockets(app, staff):
    from queue_app.live.namespaces import sweep_staff
    from queue_app.staff.auth import purge_idle_sessions
    from queue_app.staff.models import StaffSession

    staff.user("kasir", "clerk", ["L01"])
    browser = app.test_client()
    login(browser, "kasir")
    sock = _socket(app, web=browser)
    clock.travel(timedelta(minutes=app.extensions["site"].session_idle_minutes + 11))
    with app.app_context():
        assert purge_idle_sessions() == 1
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0
    assert _ended(sock)
    assert browser.get("/api/me").status_code == 401
    with app.app_context():
        assert sweep_staff() == 0


def test_a_session_in_use_keeps_its_row_fresh(app, staff):
    from queue_app.staff.auth import SEEN_EVERY_SECONDS, purge_idle_sessions

    staff.user("kasir", "clerk", ["L01"])
    browser = app.test_client()
    login(browser, "kasir")
    idle = app.extensions["site"].session_idle_minutes * 60
    # the clerk works on, one request every few minutes, for longer than the idle timeout
    for _ in range(idle // SEEN_EVERY_SECONDS + 3):
        clock.travel(timedelta(seconds=SEEN_EVERY_SECONDS - 5))
        with browser.session_transaction() as sess:  # as if the clerk's last request was that long ago
            sess["last_seen"] -= SEEN_EVERY_SECONDS - 5
        assert browser.get("/counter/L01").status_code == 200
    with app.app_context():
        assert purge_idle_sessions() == 0
    assert browser.get("/api/me").status_code == 200
