"""The clerk panel: pages, scoping, its queue endpoint, idempotent actions, CSRF and idle sessions."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest

from queue_app.core import clock
from queue_app.core.extensions import socketio

from ..helpers import PASSWORD, issued, login


@pytest.fixture
def clerk_session(app, staff):
    """A browser-like client signed in as a clerk of L01 and L02, and its CSRF token."""
    staff.user("siti", "clerk", ["L01", "L02"], full_name="Siti Aminah")
    c = app.test_client()
    return c, login(c, "siti")


# --- pages -----------------------------------------------------------------------------------


def test_panel_needs_sign_in(client):
    resp = client.get("/counter/L01")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"] and "next=" in resp.headers["Location"]


def test_clerk_picks_among_assigned_counters(clerk_session):
    c, _ = clerk_session
    page = c.get("/counter/")
    assert page.status_code == 200
    assert 'href="/counter/L01"' in page.text and 'href="/counter/L02"' in page.text
    assert 'href="/counter/L03"' not in page.text


def test_clerk_with_one_counter_goes_straight_to_it(app, staff):
    staff.user("budi", "clerk", ["L03"])
    c = app.test_client()
    login(c, "budi")
    resp = c.get("/counter/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/counter/L03")


def test_admin_may_pick_any_counter_manager_none(app, staff):
    staff.user("boss", "admin")
    staff.user("mgr", "manager")
    a = app.test_client()
    login(a, "boss")
    page = a.get("/counter/")
    assert all(f'href="/counter/{code}"' in page.text for code in ("L01", "L02", "L03"))
    assert a.get("/counter/L03").status_code == 200
    m = app.test_client()
    login(m, "mgr")
    assert m.get("/counter/").status_code == 403
    assert m.get("/counter/L01").status_code == 403


def test_panel_of_another_counter_is_refused(clerk_session):
    c, _ = clerk_session
    assert c.get("/counter/L03").status_code == 403
    assert c.get("/counter/NOPE").status_code == 404


def test_panel_page_boots_without_inline_script(clerk_session):
    c, csrf = clerk_session
    page = c.get("/counter/L01")
    assert page.status_code == 200
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>', page.text, re.S).group(1))
    assert boot["counter"] == "L01" and boot["csrf"] and boot["recall_warn_after"] == 3
    assert boot["idle_minutes"] == 60
    assert '<script type="module" src="/counter/static/panel.js">' in page.text
    # CSP: no inline handlers or style attributes, no inline executable scripts
    assert not re.search(r"\son[a-z]+=", page.text)
    assert " style=" not in page.text
    for tag in re.findall(r"<script[^>]*>", page.text):
        assert 'type="application/json"' in tag or "src=" in tag
    for label, key in [("Panggil berikutnya", "N"), ("Panggil ulang", "R"), ("Mulai layani", "S"),
                       ("Selesai", "F"), ("Tidak hadir", "X"), ("Alihkan", "T"), ("Panggil nomor", "C"),
                       ("Istirahat", "P"), ("Cetak ulang", "U"), ("Selesai &amp; panggil berikutnya", "L")]:
        assert re.search(rf"<span[^>]*>{re.escape(label)}</span><kbd>{key}</kbd>", page.text), label


def test_panel_static_files_are_served(client):
    for name in ("panel.js", "counter.css"):
        resp = client.get(f"/counter/static/{name}")
        assert resp.status_code == 200 and resp.data
        resp.close()


# --- the panel's read endpoint ---------------------------------------------------------------


def test_queue_lists_waiting_in_call_order_with_waits(client, clerk):
    a1 = issued(client, "PERIZINAN")["number"]
    b1 = issued(client, "NONIZIN")["number"]
    clock.travel(timedelta(minutes=5))
    p = issued(client, "NONIZIN", priority=True)["number"]
    issued(client, "HALAL")["number"]  # not served at L01
    body = client.get("/api/counters/L01/queue", headers=clerk).json
    assert [w["number"] for w in body["waiting"]] == [p, a1, b1]
    assert body["waiting"][0]["priority"] is True and body["waiting"][1]["priority"] is False
    assert body["waiting"][1]["waited_seconds"] >= 300
    assert body["waiting_total"] == 3
    # L02 serves NONIZIN first
    body2 = client.get("/api/counters/L02/queue", headers=clerk).json
    assert [w["number"] for w in body2["waiting"]] == [p, b1, a1]
    # and call-next takes the same first ticket the list shows
    called = client.post("/api/counters/L01/call-next", headers=clerk).json["ticket"]
    assert called["number"] == p
    assert [w["number"] for w in client.get("/api/counters/L01/queue", headers=clerk).json["waiting"]] == [a1, b1]


def test_queue_is_scoped_to_the_users_counters(client, clerk, manager, admin):
    assert client.get("/api/counters/L01/queue").status_code == 401
    assert client.get("/api/counters/L03/queue", headers=clerk).status_code == 403
    assert client.get("/api/counters/L01/queue", headers=manager).status_code == 403
    assert client.get("/api/counters/L03/queue", headers=admin).status_code == 200
    assert client.get("/api/counters/NOPE/queue", headers=admin).status_code == 404


def test_tally_counts_this_clerks_day(client, clerk, staff):
    other = staff.headers("other", "clerk", ["L02"])
    for _ in range(4):
        issued(client, "PERIZINAN")["number"]
    assert client.post("/api/counters/L01/call-next", headers=clerk).status_code == 200
    client.post("/api/counters/L01/start", headers=clerk)
    clock.travel(timedelta(minutes=4))
    client.post("/api/counters/L01/finish", headers=clerk)
    client.post("/api/counters/L01/call-next", headers=clerk)
    client.post("/api/counters/L01/no-show", headers=clerk)
    client.post("/api/counters/L02/call-next", headers=other)  # someone else's work
    client.post("/api/counters/L02/finish", headers=other)
    tally = client.get("/api/counters/L01/queue", headers=clerk).json["tally"]
    assert tally["served"] == 1 and tally["no_show"] == 1 and tally["called"] == 2
    assert 235 <= tally["avg_service_seconds"] <= 245
    assert client.get("/api/counters/L02/queue", headers=other).json["tally"]["served"] == 1


# --- safety: idempotent actions and scoping of actions ----------------------------------------


def test_double_click_on_call_next_calls_one_ticket(client, clerk):
    first, second = issued(client, "PERIZINAN")["number"], issued(client, "PERIZINAN")["number"]
    h = {**clerk, "Idempotency-Key": "panel-click-1"}
    r1 = client.post("/api/counters/L01/call-next", headers=h)
    r2 = client.post("/api/counters/L01/call-next", headers=h)
    assert r1.status_code == r2.status_code == 200
    assert r1.json["ticket"]["number"] == r2.json["ticket"]["number"] == first
    assert r2.json.get("replayed") is True
    waiting = client.get("/api/counters/L01/queue", headers=clerk).json["waiting"]
    assert [w["number"] for w in waiting] == [second]


def test_retried_finish_finishes_once(client, clerk, app):
    from queue_app.core.extensions import db
    from queue_app.queue.models import EventKind, TicketEvent

    issued(client, "PERIZINAN")["number"]
    issued(client, "PERIZINAN")["number"]
    client.post("/api/counters/L01/call-next", headers=clerk)
    h = {**clerk, "Idempotency-Key": "panel-finish-1"}
    assert client.post("/api/counters/L01/finish", headers=h).status_code == 200
    again = client.post("/api/counters/L01/finish", headers=h)
    assert again.status_code == 200 and again.json["replayed"] is True
    # a new click (new key) with nothing open is a 409 the panel explains, not a second finish
    fresh = client.post("/api/counters/L01/finish", headers={**clerk, "Idempotency-Key": "panel-finish-2"})
    assert fresh.status_code == 409 and fresh.json["error"]["code"] == "invalid_state"
    with app.app_context():
        assert db.session.query(TicketEvent).filter_by(kind=EventKind.finished).count() == 1
    # the same key sent for another action is refused rather than mis-answered
    clash = client.post("/api/counters/L01/call-next", headers=h)
    assert clash.status_code == 422 and clash.json["error"]["code"] == "idempotency_conflict"


def test_finish_current_and_call_next_in_one_step(client, clerk):
    a, b = issued(client, "PERIZINAN")["number"], issued(client, "PERIZINAN")["number"]
    client.post("/api/counters/L01/call-next", headers=clerk)
    busy = client.post("/api/counters/L01/call-next", headers=clerk)
    assert busy.status_code == 409 and busy.json["error"]["code"] == "counter_busy"
    assert busy.json["error"]["current"] == a
    nxt = client.post("/api/counters/L01/call-next", headers=clerk, json={"finish_current": True})
    assert nxt.json["ticket"]["number"] == b
    assert client.get("/api/counters/L01/queue", headers=clerk).json["tally"]["served"] == 1


@pytest.mark.parametrize("action", ["call-next", "recall", "start", "finish", "no-show", "pause", "resume"])
def test_clerk_cannot_act_for_another_counter_nor_manager(client, clerk, manager, action):
    assert client.post(f"/api/counters/L03/{action}", headers=clerk).status_code == 403
    assert client.post(f"/api/counters/L01/{action}", headers=manager).status_code == 403


def test_admin_can_act_for_any_counter(client, admin):
    p = issued(client, "HALAL")["number"]
    resp = client.post("/api/counters/L03/call-next", headers=admin)
    assert resp.status_code == 200 and resp.json["ticket"]["number"] == p


def test_race_loser_gets_a_friendly_409(client, clerk, staff):
    """Two clerks want the same number: the second call of it is refused with a code the panel explains."""
    other = staff.headers("other", "clerk", ["L02"])
    a = issued(client, "PERIZINAN")["number"]
    assert client.post("/api/counters/L01/call", headers=clerk, json={"number": a}).status_code == 200
    lost = client.post("/api/counters/L02/call", headers=other, json={"number": a})
    assert lost.status_code == 409 and lost.json["error"]["code"] == "invalid_state"


# --- session cookie: CSRF and idle expiry -----------------------------------------------------


def test_session_actions_need_the_csrf_token(clerk_session, client):
    c, csrf = clerk_session
    issued(client, "PERIZINAN")["number"]
    refused = c.post("/api/counters/L01/call-next")
    assert refused.status_code == 400
    assert c.post("/api/counters/L01/call-next", headers={"X-CSRFToken": "forged"}).status_code == 400
    ok = c.post("/api/counters/L01/call-next", headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200 and ok.json["ticket"] is not None


def test_login_form_needs_the_csrf_token(app, staff):
    staff.user("siti", "clerk", ["L01"])
    c = app.test_client()
    resp = c.post("/login", data={"username": "siti", "password": PASSWORD})
    assert resp.status_code == 400
    assert c.get("/api/me").status_code == 401


def test_idle_session_expires(clerk_session):
    c, _ = clerk_session
    assert c.get("/api/counters/L01/queue").status_code == 200
    with c.session_transaction() as s:
        s["last_seen"] = time.time() - 61 * 60  # site default: 60 idle minutes
    assert c.get("/api/counters/L01/queue").status_code == 401
    assert c.get("/counter/L01").status_code == 302


def test_background_refresh_does_not_keep_the_session_alive(clerk_session):
    c, _ = clerk_session
    past = time.time() - 10 * 60
    with c.session_transaction() as s:
        s["last_seen"] = past
    assert c.get("/api/counters/L01/queue", headers={"X-Background": "1"}).status_code == 200
    with c.session_transaction() as s:
        assert s["last_seen"] == past
    assert c.get("/api/me").status_code == 200  # the clerk touched the panel
    with c.session_transaction() as s:
        assert s["last_seen"] > past + 60


def test_login_page_says_why_after_expiry(client):
    assert "Sesi berakhir" in client.get("/login?expired=1&next=/counter/L01").text


# --- live updates over /counter ---------------------------------------------------------------


def test_panel_socket_hears_another_clerks_call(app, clerk_session, client, staff):
    c, _ = clerk_session
    other = staff.headers("other", "clerk", ["L02"])
    issued(client, "PERIZINAN")["number"]
    sock = socketio.test_client(app, namespace="/counter", flask_test_client=c, auth={"counter": "L01"})
    assert sock.is_connected("/counter")
    sock.get_received("/counter")
    assert client.post("/api/counters/L02/call-next", headers=other).status_code == 200
    names = [e["name"] for e in sock.get_received("/counter")]
    assert "queue_changed" in names and "counter_changed" in names
    sock.disconnect("/counter")


def test_panel_socket_refuses_a_foreign_counter(app, clerk_session):
    c, _ = clerk_session
    sock = socketio.test_client(app, namespace="/counter", flask_test_client=c, auth={"counter": "L03"})
    assert not sock.is_connected("/counter")
