"""The Socket.IO hub: every namespace's connect rules and every event, zone isolation, ticket updates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db, socketio
from queue_app.core.models import Service

from ..helpers import issued, on_duty, take_ticket

pytestmark = pytest.mark.both_databases  # every test that builds the app: SQLite and PostgreSQL



def call_next(client, headers, counter="L01", **body) -> dict:
    resp = client.post(f"/api/counters/{counter}/call-next", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["ticket"]


def events(sio, namespace: str, name: str) -> list[dict]:
    return [e["args"][0] for e in sio.get_received(namespace) if e["name"] == name]


@pytest.fixture
def connect(app):
    """Open Socket.IO test clients; all are disconnected after the test."""
    opened = []

    def _connect(namespace: str, auth=None, **kw):
        c = socketio.test_client(app, namespace=namespace, auth=auth, **kw)
        opened.append((c, namespace))
        return c

    yield _connect
    for c, ns in opened:
        if c.is_connected(ns):
            c.disconnect(ns)


def ticket_emits(monkeypatch) -> list[tuple[str, str | None]]:
    """From now on, every ``(event, room)`` the server emits on /ticket."""
    sent: list[tuple[str, str | None]] = []
    real_emit = socketio.emit

    def counting_emit(event, *args, **kwargs):
        if kwargs.get("namespace") == "/ticket":
            sent.append((event, kwargs.get("to")))
        return real_emit(event, *args, **kwargs)

    monkeypatch.setattr(socketio, "emit", counting_emit)
    return sent


@pytest.fixture
def l3_clerk(staff):
    return staff.headers("clerk3", "clerk", ["L03"])


# --- /display ---------------------------------------------------------------------------------


def test_display_gets_board_on_connect(client, clerk, connect):
    issued(client)
    call_next(client, clerk)
    issued(client, "NONIZIN")
    d = connect("/display", {"zone": "lantai-1"})
    assert d.is_connected("/display")
    (board,) = events(d, "/display", "board")
    assert board == client.get("/api/display?zone=lantai-1").get_json() | {"now": board["now"]}
    assert board["zone"] == "lantai-1" and board["zones"] == ["lantai-1"]
    assert board["seq"] == {"lantai-1": 1}
    assert board["latest"]["number"] == "A-001" and board["latest"]["counter"] == {"code": "L01", "name": "Loket 1"}
    assert [c["code"] for c in board["counters"]] == ["L01", "L02"]
    assert {s["code"]: s["waiting"] for s in board["services"]} == {"PERIZINAN": 0, "NONIZIN": 1}
    assert board["timezone"] == "Asia/Jakarta" and board["running_text"] == "Selamat datang"


def test_display_without_zone_gets_every_zone(connect):
    d = connect("/display")
    (board,) = events(d, "/display", "board")
    assert board["zone"] is None and board["zones"] == ["lantai-1", "lantai-2"]
    assert board["seq"] == {"lantai-1": 0, "lantai-2": 0}


@pytest.mark.parametrize("auth", [{"zone": "basement"}, {"zone": 7}, {"zone": ["lantai-1"]}])
def test_display_refuses_unknown_or_malformed_zone(connect, auth):
    d = connect("/display", auth)
    assert not d.is_connected("/display")


def test_called_event_payload_and_seq_per_zone(client, clerk, l3_clerk, connect):
    d = connect("/display")
    d.get_received("/display")
    issued(client)
    issued(client)
    issued(client, "HALAL")
    first = call_next(client, clerk)
    call_next(client, l3_clerk, "L03")
    call_next(client, clerk, finish_current=True)
    assert client.post("/api/counters/L01/recall", headers=clerk).status_code == 200
    called = events(d, "/display", "called")
    assert [(c["zone"], c["seq"], c["number"], c["recall"]) for c in called] == [
        ("lantai-1", 1, "A-001", False),
        ("lantai-2", 1, "P-001", False),
        ("lantai-1", 2, "A-002", False),
        ("lantai-1", 3, "A-002", True),
    ]
    c = called[0]
    assert set(c) >= {"seq", "zone", "number", "service", "counter", "recall", "at", "announcement"}
    assert c["service"] == "PERIZINAN" and c["counter"] == {"code": "L01", "name": "Loket 1"}
    assert c["at"].endswith("+07:00") and first["number"] == "A-001"
    assert c["announcement"]["text"].startswith("Nomor antrean A") and "Loket 1" in c["announcement"]["text"]
    assert isinstance(c["announcement"]["segments"], list) and c["announcement"]["segments"]


def test_zone_isolation(client, clerk, l3_clerk, connect):
    one = connect("/display", {"zone": "lantai-1"})
    two = connect("/display", {"zone": "lantai-2"})
    one.get_received("/display")
    two.get_received("/display")
    issued(client)
    call_next(client, clerk)
    assert events(two, "/display", "called") == []
    assert [c["number"] for c in events(one, "/display", "called")] == ["A-001"]
    issued(client, "HALAL")
    call_next(client, l3_clerk, "L03")
    assert events(one, "/display", "called") == []
    assert [c["number"] for c in events(two, "/display", "called")] == ["P-001"]


def test_zone_may_come_from_query_string(client, clerk, connect):
    d = connect("/display", query_string="zone=lantai-2")
    (board,) = events(d, "/display", "board")
    assert board["zones"] == ["lantai-2"]
    issued(client)
    call_next(client, clerk)
    assert events(d, "/display", "called") == []


def test_display_asks_for_board_again(client, clerk, connect):
    d = connect("/display", {"zone": "lantai-1"})
    issued(client)
    call_next(client, clerk)
    board = d.emit("board", {"zone": "lantai-1"}, namespace="/display", callback=True)
    assert board["seq"] == {"lantai-1": 1} and board["latest"]["number"] == "A-001"
    assert d.emit("board", {"zone": "nowhere"}, namespace="/display", callback=True)["error"]["code"]
    assert d.emit("board", None, namespace="/display", callback=True)["zones"] == ["lantai-1", "lantai-2"]


def test_failed_call_emits_nothing(client, clerk, connect):
    d = connect("/display")
    d.get_received("/display")
    resp = client.post("/api/counters/L01/call-next", json={}, headers=clerk)  # nobody waits
    assert resp.status_code == 200 and resp.get_json()["ticket"] is None
    issued(client)
    call_next(client, clerk)
    assert client.post("/api/counters/L01/call-next", json={}, headers=clerk).status_code == 409  # busy
    assert [c["seq"] for c in events(d, "/display", "called")] == [1]


def test_settings_changed_reaches_displays(app, connect):
    from queue_app.staff import admin

    d = connect("/display", {"zone": "lantai-1"})
    d.get_received("/display")
    with app.app_context():
        admin.set_running_text(None, "Istirahat pukul 12.00")
        db.session.commit()
    (ev,) = events(d, "/display", "settings_changed")
    assert ev["running_text"] == "Istirahat pukul 12.00"


# --- /ticket ----------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": 42}, {"token": "no-such-token"}])
def test_ticket_refuses_bad_token(connect, auth):
    t = connect("/ticket", auth)
    assert not t.is_connected("/ticket")


def test_ticket_on_connect_matches_api(client, connect):
    issued(client)
    mine = issued(client)
    t = connect("/ticket", {"token": mine["token"]})
    assert t.is_connected("/ticket")
    (view,) = events(t, "/ticket", "ticket")
    assert view == client.get(f"/api/tickets/{mine['token']}").get_json()
    assert view["number"] == "A-002" and view["status"] == "waiting" and view["ahead"] == 1
    assert "token" not in view


def test_ticket_ahead_drops_when_someone_before_is_called(app, client, clerk, connect):
    on_duty(app)
    issued(client)
    issued(client)
    mine = issued(client)
    other = issued(client, "HALAL")
    t = connect("/ticket", {"token": mine["token"]})
    h = connect("/ticket", {"token": other["token"]})
    t.get_received("/ticket")
    h.get_received("/ticket")
    call_next(client, clerk)
    (view,) = events(t, "/ticket", "ticket")
    assert view["status"] == "waiting" and view["ahead"] == 1
    assert view["estimated_wait_seconds"] is not None
    assert events(h, "/ticket", "ticket") == []  # another queue: nothing changed for it
    issued(client)  # someone behind: my view does not change, so nothing is sent... or the same ahead
    assert all(v["ahead"] == 1 for v in events(t, "/ticket", "ticket"))


def test_ticket_status_changes_are_pushed(client, clerk, connect):
    mine = issued(client)
    t = connect("/ticket", {"token": mine["token"]})
    t.get_received("/ticket")
    call_next(client, clerk)
    (called,) = events(t, "/ticket", "ticket")
    assert called["status"] == "called" and called["counter"] == {"code": "L01", "name": "Loket 1"}
    assert called["ahead"] == 0 and called["called_at"]
    assert called["recalls"] == 0 and called["last_called_at"] == called["called_at"]
    for n in (1, 2):  # every recall reaches the phone with its count: the page announces it again
        assert client.post("/api/counters/L01/recall", headers=clerk).status_code == 200
        (recalled,) = events(t, "/ticket", "ticket")
        assert recalled["status"] == "called" and recalled["recalls"] == n and recalled["last_called_at"]
        assert recalled["called_at"] == called["called_at"]  # the first call stays the first call
    assert client.get(f"/api/tickets/{mine['token']}").get_json()["recalls"] == 2
    assert client.post("/api/counters/L01/start", headers=clerk).status_code == 200
    assert [v["status"] for v in events(t, "/ticket", "ticket")] == ["serving"]
    assert client.post("/api/counters/L01/finish", headers=clerk).status_code == 200
    (done,) = events(t, "/ticket", "ticket")
    assert done["status"] == "done" and done["finished_at"]


def test_ticket_of_another_visitor_is_never_sent(client, clerk, connect):
    first = issued(client)
    second = issued(client)
    t = connect("/ticket", {"token": second["token"]})
    t.get_received("/ticket")
    call_next(client, clerk)
    assert {v["number"] for v in events(t, "/ticket", "ticket")} == {second["number"]}
    assert first["number"] != second["number"]


# --- /counter and /dashboard ------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["/counter", "/dashboard"])
@pytest.mark.parametrize("auth", [None, {}, {"token": "not-a-token"}])
def test_staff_namespaces_refuse_without_auth(connect, namespace, auth):
    s = connect(namespace, auth)
    assert not s.is_connected(namespace)


def test_dashboard_refuses_a_clerk(connect, clerk):
    token = clerk["Authorization"].split()[1]
    assert not connect("/dashboard", {"token": token}).is_connected("/dashboard")


def test_counter_refuses_a_counter_the_clerk_may_not_use(connect, clerk):
    token = clerk["Authorization"].split()[1]
    assert not connect("/counter", {"token": token, "counter": "L03"}).is_connected("/counter")
    assert not connect("/counter", {"token": token, "counter": "L99"}).is_connected("/counter")
    assert connect("/counter", {"token": token, "counter": "L01"}).is_connected("/counter")


def test_staff_get_queue_and_counter_changes(client, clerk, manager, connect):
    c = connect("/counter", {"token": clerk["Authorization"].split()[1], "counter": "L01"})
    m = connect("/dashboard", {"token": manager["Authorization"].split()[1]})
    assert c.is_connected("/counter") and m.is_connected("/dashboard")
    issued(client)
    for sio, ns in ((c, "/counter"), (m, "/dashboard")):
        assert events(sio, ns, "queue_changed")[-1] == {"services": {"PERIZINAN": 1}}
    call_next(client, clerk)
    for sio, ns in ((c, "/counter"), (m, "/dashboard")):
        received = sio.get_received(ns)
        assert {"services": {"PERIZINAN": 0}} in [e["args"][0] for e in received if e["name"] == "queue_changed"]
        (counter,) = [e["args"][0] for e in received if e["name"] == "counter_changed"]
        assert counter["code"] == "L01" and counter["current"]["number"] == "A-001"


def test_counter_accepts_a_session_cookie(app, staff, connect):
    staff.user("clerk9", "clerk", ["L02"], password="rahasia-123")
    web = app.test_client()
    assert web.get("/api/me").status_code == 401
    _login(web, "clerk9", "rahasia-123")
    assert web.get("/api/me").status_code == 200
    s = connect("/counter", {"counter": "L02"}, flask_test_client=web)
    assert s.is_connected("/counter")
    assert not connect("/dashboard", None, flask_test_client=web).is_connected("/dashboard")


def _login(web, username: str, password: str) -> None:
    import re

    page = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    resp = web.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token.group(1) if token else ""})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)


def test_board_changed_carries_waiting_counts_and_counter_states(client, clerk, connect):
    d = connect("/display", {"zone": "lantai-1"})
    d.get_received("/display")
    issued(client)
    issued(client, "NONIZIN")
    (update, _) = events(d, "/display", "board_changed")
    assert update["services"] == {"PERIZINAN": 1, "NONIZIN": 0, "HALAL": 0}
    call_next(client, clerk)
    (update,) = events(d, "/display", "board_changed")
    assert update["services"]["PERIZINAN"] == 0 and update["services"]["NONIZIN"] == 1
    l01 = next(c for c in update["counters"] if c["code"] == "L01")
    assert l01 == {"code": "L01", "zone": "lantai-1", "state": "open", "staffed": False, "presence": "closed",
                   "current": "A-001", "status": "called"}
    assert client.post("/api/counters/L02/pause", headers=clerk).status_code == 200
    (update,) = events(d, "/display", "board_changed")
    assert next(c for c in update["counters"] if c["code"] == "L02")["state"] == "paused"


def test_ticket_finished_signal_lets_a_feature_follow_a_visit(app, client, clerk):
    """A feature listens to ``ticket_finished`` instead of being called by the queue verbs."""
    from queue_app.queue import signals

    seen = []

    def listener(ticket, counter, actor, **_):
        seen.append((ticket.number, counter.code, actor.username if actor else None))

    signals.ticket_finished.connect(listener)
    try:
        take_ticket(client)
        client.post("/api/counters/L01/call-next", json={}, headers=clerk)
        assert seen == []
        client.post("/api/counters/L01/finish", json={}, headers=clerk)
    finally:
        signals.ticket_finished.disconnect(listener)
    assert seen == [("A-001", "L01", "clerk1")]


def test_a_call_pushes_to_watched_tickets_only(client, clerk, connect, monkeypatch):
    """A call moves 39 waiting tickets but one phone is open: one view pushed, not 39 (issue 15).

    The called ticket's own status change is still pushed to its room (one message).
    """
    tickets = [issued(client) for _ in range(40)]
    t = connect("/ticket", {"token": tickets[-1]["token"]})
    gone = connect("/ticket", {"token": tickets[-2]["token"]})
    gone.disconnect("/ticket")  # a phone closed: its ticket is no longer watched
    t.get_received("/ticket")
    sent = ticket_emits(monkeypatch)
    call_next(client, clerk)
    assert sorted(to for event, to in sent if event == "ticket") == ["ticket:1", "ticket:40"]
    (view,) = events(t, "/ticket", "ticket")
    assert view["ahead"] == 38


# --- phones that count their own place (queue_moved) --------------------------------------------


def called_before(a: list[int], b: list[int]) -> bool:
    """visitor/static/ticket.js calledBefore: priority first, then queue time, then id."""
    return a[0] > b[0] if a[0] != b[0] else (a[1], a[2]) < (b[1], b[2])


class CountingPhone:
    """What the visitor page does (ticket.js): its view on connect and on its own changes, its place kept
    from ``queue_moved`` deltas by version, a ``sync`` on a gap or after a transfer."""

    def __init__(self, connect, token: str):
        self.sio = connect("/ticket", {"token": token, "moves": True})
        assert self.sio.is_connected("/ticket")
        self.view: dict = {}
        self.gaps = 0
        self.drain()

    def update(self, view: dict) -> None:
        moved_line = self.view and view["service"] != self.view["service"]
        self.view = {**self.view, **view}
        if moved_line:
            self.update(self.sio.emit("sync", callback=True, namespace="/ticket"))

    def moved(self, m: dict) -> None:
        place = self.view.get("queue")
        if self.view["status"] != "waiting" or not place or m["service"] != self.view["service"]:
            return
        if m["version"] is not None and m["version"] > place["version"]:
            if m["version"] != place["version"] + 1:
                self.gaps += 1
                self.update(self.sio.emit("sync", callback=True, namespace="/ticket"))
                return
            mine = place["key"]
            before = lambda keys: sum(1 for k in keys if k[2] != mine[2] and called_before(k, mine))  # noqa: E731
            self.view["ahead"] += before(m["joined"]) - before(m["left"])
            self.view["queue"] = {"key": mine, "version": m["version"]}
        table = dict(m["eta"])
        if self.view["ahead"] in table:
            self.view["estimated_wait_seconds"] = table[self.view["ahead"]]

    def drain(self) -> None:
        for e in self.sio.get_received("/ticket"):
            (self.update if e["name"] == "ticket" else self.moved)(e["args"][0])


def test_a_call_sends_one_message_per_line_to_counting_phones(app, client, clerk, connect, monkeypatch):
    """Thirty waiting, three phones counting their place: a call costs one ``queue_moved`` to the line's
    room (plus the called ticket's own view), never a view per phone (issue 15)."""
    on_duty(app)
    tickets = [issued(client) for _ in range(30)]
    phones = [CountingPhone(connect, tickets[i]["token"]) for i in (3, 17, 29)]
    sent = ticket_emits(monkeypatch)
    call_next(client, clerk)
    with app.app_context():
        service_id = db.session.scalar(sa.select(Service.id).where(Service.code == "PERIZINAN"))
    assert sorted(sent) == [("queue_moved", f"queue:{service_id}"), ("ticket", "ticket:1")]
    for phone, i in zip(phones, (3, 17, 29), strict=True):
        phone.drain()
        assert phone.view["ahead"] == i - 1
        api = client.get(f"/api/tickets/{tickets[i]['token']}").get_json()
        assert api["ahead"] == i - 1 and api["queue"]["version"] == phone.view["queue"]["version"]
        assert abs(phone.view["estimated_wait_seconds"] - api["estimated_wait_seconds"]) <= 2
    assert all(p.gaps == 0 for p in phones)


def test_the_hall_hears_a_call_before_the_lines_moves_are_worked_out(app, client, clerk, connect, monkeypatch):
    """Emits to idle WebSockets are sent as they are made: the display's ``called`` goes out first, then the
    moves are worked out (a replay) and sent, and only then the rest (staff screens, board) in the background."""
    from queue_app.live import publisher

    issued(client)
    issued(client)
    phone = CountingPhone(connect, issued(client)["token"])
    order: list[str] = []
    real_emit, real_moves = socketio.emit, publisher._queue_moved_messages
    monkeypatch.setattr(socketio, "emit", lambda event, *a, **k: order.append(event) or real_emit(event, *a, **k))
    monkeypatch.setattr(publisher, "_queue_moved_messages", lambda p: order.append("moves worked out") or real_moves(p))
    monkeypatch.setattr(socketio, "start_background_task", lambda *a, **k: order.append("background"))
    monkeypatch.setitem(app.config, "HUB_INLINE_REFRESH", False)  # as served: the pushes after the response
    call_next(client, clerk)
    assert order[:4] == ["called", "moves worked out", "queue_moved", "background"], order
    phone.drain()
    assert phone.view["ahead"] == 1 and phone.gaps == 0


def test_counting_phones_stay_exact_through_priority_transfers_and_calls(client, clerk, staff, connect):
    """A seeded day of walk-ins, priority tickets, calls at two counters and transfers between the two
    lines: after every step each counting phone's place equals the API's, without re-reading it."""
    import random

    rng = random.Random(15)
    l2 = staff.headers("clerk2", "clerk", ["L02"])
    phones: dict[str, CountingPhone] = {}
    for step in range(60):
        op = rng.choice(["walk-in", "walk-in", "priority", "call1", "call2", "transfer"])
        if op in ("walk-in", "priority"):
            t = issued(client, rng.choice(["PERIZINAN", "NONIZIN"]), priority=op == "priority")
            if rng.random() < 0.5:
                phones[t["token"]] = CountingPhone(connect, t["token"])
        elif op in ("call1", "call2"):
            client.post(f"/api/counters/{'L01' if op == 'call1' else 'L02'}/call-next",
                        json={"finish_current": True}, headers=clerk if op == "call1" else l2)
        else:
            current = client.get("/api/counters", headers=clerk).get_json()
            at_l01 = next(c for c in current if c["code"] == "L01")["current"]
            if at_l01 and at_l01["status"] in ("called", "serving"):
                target = "NONIZIN" if at_l01["service"] == "PERIZINAN" else "PERIZINAN"
                resp = client.post("/api/counters/L01/transfer", json={"service": target}, headers=clerk)
                assert resp.status_code == 200, resp.get_data(as_text=True)
        for token, phone in phones.items():
            phone.drain()
            api = client.get(f"/api/tickets/{token}").get_json()
            assert phone.view["status"] == api["status"], (step, op)
            if api["status"] == "waiting":
                assert phone.view["service"] == api["service"], (step, op)
                assert phone.view["ahead"] == api["ahead"], (step, op, token)
    assert sum(p.gaps for p in phones.values()) == 0  # one process: no message lost, none crossed
    assert any(p.view["status"] == "waiting" for p in phones.values())


def test_a_phone_that_missed_a_move_reads_its_place_again(client, clerk, connect):
    tickets = [issued(client) for _ in range(5)]
    phone = CountingPhone(connect, tickets[4]["token"])
    call_next(client, clerk, finish_current=True)
    phone.sio.get_received("/ticket")  # lost on the way (a Wi-Fi hiccup)
    call_next(client, clerk, finish_current=True)
    phone.drain()
    assert phone.gaps == 1
    assert phone.view["ahead"] == 2 == client.get(f"/api/tickets/{tickets[4]['token']}").get_json()["ahead"]
