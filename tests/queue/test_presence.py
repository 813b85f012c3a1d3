"""Honest estimates (issue 34): a counter serves only while a clerk has it open (panel connected, not paused).

The presence of each panel is a row in the database (queue_app.queue.presence) so every server process sees it;
a panel that closes removes it, a process that dies leaves rows that expire.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.extensions import db, socketio
from queue_app.queue.models import CounterPresence

from ..helpers import issued, on_duty, take_ticket

pytestmark = pytest.mark.both_databases


@pytest.fixture
def connect(app):
    """Open Socket.IO test clients; all are disconnected after the test."""
    opened = []

    def _connect(namespace: str, auth=None):
        c = socketio.test_client(app, namespace=namespace, auth=auth)
        opened.append((c, namespace))
        return c

    yield _connect
    for c, ns in opened:
        if c.is_connected(ns):
            c.disconnect(ns)


def token_of(headers: dict) -> str:
    return headers["Authorization"].split()[1]


def tile(client, code: str = "PERIZINAN") -> dict:
    return next(s for s in client.get("/api/services").get_json() if s["code"] == code)


def presence_rows(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            sa.select(CounterPresence.sid, CounterPresence.counter_id).order_by(CounterPresence.sid))]


def test_nobody_on_duty_means_no_estimate_not_a_wait_of_zero(app, client, clerk):
    """The report of issue 34: no clerk signed in, a ticket read "1 orang di depan Anda · Langsung"."""
    issued(client)
    assert tile(client).items() >= {"estimated_wait_seconds": None, "nobody_on_duty": True, "open": True}.items()
    ticket = issued(client)
    assert ticket["ahead"] == 1
    assert ticket["estimated_wait_seconds"] is None and ticket["nobody_on_duty"] is True
    view = client.get(f"/api/tickets/{ticket['token']}").get_json()
    assert view["estimated_wait_seconds"] is None and view["nobody_on_duty"] is True
    # a clerk opens L01 (it serves PERIZINAN): there is an estimate again
    on_duty(app, "L01")
    ticket = issued(client)
    assert ticket["nobody_on_duty"] is False and ticket["estimated_wait_seconds"] > 0
    view = client.get(f"/api/tickets/{ticket['token']}").get_json()
    assert view["nobody_on_duty"] is False and view["estimated_wait_seconds"] > 0
    assert tile(client)["nobody_on_duty"] is False
    assert tile(client, "HALAL").items() >= {"estimated_wait_seconds": None, "nobody_on_duty": True}.items()  # L03


def test_a_paused_counter_is_not_open_though_its_clerk_is_there(app, client, clerk):
    on_duty(app, "L01", "L02")
    assert tile(client)["estimated_wait_seconds"] == 0
    assert client.post("/api/counters/L01/pause", headers=clerk).status_code == 200
    assert tile(client)["estimated_wait_seconds"] == 0  # L02 serves PERIZINAN too
    assert client.post("/api/counters/L02/pause", headers=clerk).status_code == 200
    assert tile(client)["nobody_on_duty"] is True
    counters = {c["code"]: c for c in client.get("/api/counters", headers=clerk).get_json()}
    assert [(counters[c]["state"], counters[c]["staffed"], counters[c]["presence"]) for c in ("L01", "L03")] == [
        ("paused", True, "paused"), ("open", False, "closed")]


def test_a_clerks_panel_connected_to_a_counter_staffs_it_until_it_closes(app, client, clerk, manager, connect):
    ticket = issued(client)
    phone = connect("/ticket", {"token": ticket["token"], "moves": True})
    (first,) = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "ticket"]
    assert first["nobody_on_duty"] is True and first["estimated_wait_seconds"] is None
    dashboard = connect("/dashboard", {"token": token_of(manager)})
    dashboard.get_received("/dashboard")
    # a panel without a counter (the clerk's overview) staffs nothing
    overview = connect("/counter", {"token": token_of(clerk)})
    assert overview.is_connected("/counter") and presence_rows(app) == []
    panel = connect("/counter", {"token": token_of(clerk), "counter": "L01"})
    assert panel.is_connected("/counter")
    assert [cid for _, cid in presence_rows(app)] == [1]
    # the phones of its services hear their estimate at once, the dashboards the counter
    moved = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "queue_moved"]
    assert moved and moved[-1]["nobody_on_duty"] is False and moved[-1]["eta"] == [[0, 0]]
    changed = [e["args"][0] for e in dashboard.get_received("/dashboard") if e["name"] == "counter_changed"]
    assert [(c["code"], c["staffed"], c["presence"]) for c in changed] == [("L01", True, "staffed")]
    view = client.get(f"/api/tickets/{ticket['token']}").get_json()
    assert view["estimated_wait_seconds"] == 0 and view["nobody_on_duty"] is False
    assert client.get("/api/display?zone=lantai-1").get_json()["counters"][0].items() >= {
        "code": "L01", "staffed": True, "presence": "staffed"}.items()
    # the clerk closes the panel: nobody is on duty for PERIZINAN again
    panel.disconnect("/counter")
    assert presence_rows(app) == []
    moved = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "queue_moved"]
    assert moved and moved[-1]["nobody_on_duty"] is True and moved[-1]["eta"] == []
    changed = [e["args"][0] for e in dashboard.get_received("/dashboard") if e["name"] == "counter_changed"]
    assert [(c["code"], c["presence"]) for c in changed] == [("L01", "closed")]
    assert client.get(f"/api/tickets/{ticket['token']}").get_json()["nobody_on_duty"] is True


def test_a_refused_panel_leaves_no_presence(app, client, clerk, connect):
    assert not connect("/counter", {"token": token_of(clerk), "counter": "L03"}).is_connected("/counter")
    assert not connect("/counter", {"counter": "L01"}).is_connected("/counter")
    assert presence_rows(app) == []


def test_two_panels_on_one_counter_it_stays_staffed_until_both_close(app, client, clerk, connect):
    first = connect("/counter", {"token": token_of(clerk), "counter": "L01"})
    second = connect("/counter", {"token": token_of(clerk), "counter": "L01"})
    assert len(presence_rows(app)) == 2
    first.disconnect("/counter")
    assert tile(client)["nobody_on_duty"] is False
    second.disconnect("/counter")
    assert tile(client)["nobody_on_duty"] is True


def test_the_panels_of_a_process_that_died_expire_by_themselves(app, client, ctx):
    """A process that dies cannot delete its rows: past PRESENCE_TTL they no longer count, and the next sweep
    of any process removes them and refreshes the estimates."""
    from queue_app.core.lookups import get_counter
    from queue_app.core.outbox import pending
    from queue_app.queue import presence
    from queue_app.queue.estimate import forget_forecast

    presence.arrive(get_counter("L01"), "dead-process-sid", user_id=None)
    db.session.commit()
    assert tile(client)["nobody_on_duty"] is False
    clock.travel(presence.PRESENCE_TTL + timedelta(seconds=1))
    forget_forecast()
    assert tile(client)["nobody_on_duty"] is True  # expired: not counted, swept or not
    assert presence.sweep() == 1
    assert pending().counters == {get_counter("L01").id} and pending().services  # the screens hear it
    db.session.commit()
    assert presence_rows(app) == []


def test_keep_panels_moves_this_processs_rows_on_and_writes_back_a_swept_one(app, client, clerk, connect):
    from queue_app.live import namespaces
    from queue_app.queue import presence

    panel = connect("/counter", {"token": token_of(clerk), "counter": "L02"})
    assert panel.is_connected("/counter")
    with app.app_context():
        before = db.session.scalar(sa.select(CounterPresence.expires_at))
    clock.travel(presence.PRESENCE_TTL - timedelta(seconds=5))
    with app.app_context():
        assert namespaces.keep_panels() == 1
        after = db.session.scalar(sa.select(CounterPresence.expires_at))
    moved_on = (after - before).total_seconds()  # the test clock runs: about 55 s later
    assert abs(moved_on - (presence.PRESENCE_TTL - timedelta(seconds=5)).total_seconds()) < 3
    # another process's sweep removed it while this one was too busy to keep it: written again
    with app.app_context():
        begin_write()
        db.session.execute(sa.delete(CounterPresence))
        db.session.commit()
        assert namespaces.keep_panels() == 1
    assert len(presence_rows(app)) == 1 and tile(client, "NONIZIN")["nobody_on_duty"] is False
    # a socket gone without its disconnect handler (never expected, but never staffed forever either)
    (sid,) = list(namespaces._panels)
    socketio.server.manager.disconnect(sid, "/counter")
    with app.app_context():
        assert namespaces.keep_panels() == 0
    assert presence_rows(app) == []


def test_the_dashboard_counts_only_open_counters(app, client, manager, clerk):
    def snapshot() -> dict:
        return client.get("/api/stats/dashboard", headers=manager).get_json()

    snap = snapshot()
    assert {s["code"]: s["open_counters"] for s in snap["services"]} == {"PERIZINAN": 0, "NONIZIN": 0, "HALAL": 0}
    assert {c["code"]: c["presence"] for c in snap["counters"]} == {"L01": "closed", "L02": "closed", "L03": "closed"}
    on_duty(app, "L01", "L02")
    assert client.post("/api/counters/L02/pause", headers=clerk).status_code == 200
    snap = snapshot()
    assert {s["code"]: (s["open_counters"], s["counters"]) for s in snap["services"]} == {
        "PERIZINAN": (1, 2), "NONIZIN": (1, 2), "HALAL": (0, 1)}
    assert {c["code"]: (c["staffed"], c["presence"]) for c in snap["counters"]} == {
        "L01": (True, "staffed"), "L02": (True, "paused"), "L03": (False, "closed")}


def test_a_slip_taken_with_nobody_on_duty_says_so(app, client):
    from printers.fake import FakePrinter

    fake = app.extensions["printing"].overrides["p1"] = FakePrinter()
    resp = take_ticket(client, "HALAL", kiosk="K2")
    assert resp.status_code == 201 and resp.get_json()["print"]["status"] == "printed"
    (slip,) = fake.slips
    assert slip.nobody_on_duty is True and slip.estimated_wait_seconds is None
    on_duty(app, "L03")
    take_ticket(client, "HALAL", kiosk="K2")
    assert fake.slips[-1].nobody_on_duty is False and fake.slips[-1].estimated_wait_seconds is not None
