"""Leaving the line (contract, third round): ``DELETE /api/tickets/<token>`` cancels a waiting ticket, walk-in,
booked or joined from afar, and everyone behind moves up at once (phones, estimates, stats)."""

from __future__ import annotations

import pytest

from queue_app.core.extensions import socketio
from tests.helpers import error_of, issued, on_duty

pytestmark = pytest.mark.both_databases


@pytest.fixture
def connect(app):
    opened = []

    def _connect(namespace: str, auth=None):
        c = socketio.test_client(app, namespace=namespace, auth=auth)
        opened.append((c, namespace))
        return c

    yield _connect
    for c, ns in opened:
        if c.is_connected(ns):
            c.disconnect(ns)


def ticket_events(sio) -> list[dict]:
    return [e["args"][0] for e in sio.get_received("/ticket") if e["name"] == "ticket"]


def test_a_waiting_ticket_leaves_and_those_behind_move_up(app, client):
    on_duty(app)
    first, second, third = issued(client), issued(client), issued(client)
    assert client.get(f"/api/tickets/{third['token']}").json["ahead"] == 2
    resp = client.delete(f"/api/tickets/{first['token']}")
    assert resp.status_code == 200, resp.text
    body = resp.json
    assert body["number"] == first["number"] and body["status"] == "cancelled"
    assert body["finished_at"] and body["ahead"] == 0 and body["estimated_wait_seconds"] is None
    assert client.get(f"/api/tickets/{first['token']}").json["status"] == "cancelled"
    assert client.get(f"/api/tickets/{second['token']}").json["ahead"] == 0
    assert client.get(f"/api/tickets/{third['token']}").json["ahead"] == 1
    # the kiosk's tile counts one fewer waiting
    tiles = {s["code"]: s for s in client.get("/api/services").json}
    assert tiles["PERIZINAN"]["waiting"] == 2


def test_the_phone_behind_is_told_at_once(app, client, connect):
    on_duty(app)
    first, mine = issued(client), issued(client)
    phone = connect("/ticket", {"token": mine["token"]})
    (view,) = ticket_events(phone)
    assert view["ahead"] == 1
    assert client.delete(f"/api/tickets/{first['token']}").status_code == 200
    views = ticket_events(phone)
    assert views and views[-1]["ahead"] == 0 and views[-1]["status"] == "waiting"


def test_only_a_waiting_ticket_can_leave(client, clerk):
    called, waiting = issued(client), issued(client)
    assert client.post("/api/counters/L01/call-next", headers=clerk).json["ticket"]["number"] == called["number"]
    err = error_of(client.delete(f"/api/tickets/{called['token']}"), 409)
    assert err["code"] == "not_waiting"
    assert client.post("/api/counters/L01/start", headers=clerk).status_code == 200
    assert error_of(client.delete(f"/api/tickets/{called['token']}"), 409)["code"] == "not_waiting"
    assert client.post("/api/counters/L01/finish", headers=clerk).status_code == 200
    assert error_of(client.delete(f"/api/tickets/{called['token']}"), 409)["code"] == "not_waiting"
    assert client.delete(f"/api/tickets/{waiting['token']}").status_code == 200
    assert error_of(client.delete(f"/api/tickets/{waiting['token']}"), 409)["code"] == "not_waiting"
    assert error_of(client.delete("/api/tickets/no-such-token"), 404)["code"] == "ticket_not_found"


def test_a_ticket_that_left_is_never_called_and_counts_as_cancelled(client, clerk, manager):
    gone, stays = issued(client), issued(client)
    assert client.delete(f"/api/tickets/{gone['token']}").status_code == 200
    assert client.post("/api/counters/L01/call-next", headers=clerk).json["ticket"]["number"] == stays["number"]
    summary = client.get("/api/stats/summary", headers=manager).json
    figures = {s["code"]: s for s in summary["services"]}["PERIZINAN"]
    assert figures["cancelled"] == 1 and figures["issued"] == 2 and figures["waiting_now"] == 0


def test_staff_see_the_line_without_it(client, clerk):
    gone = issued(client)
    issued(client)
    assert client.delete(f"/api/tickets/{gone['token']}").status_code == 200
    counters = client.get("/api/counters", headers=clerk)
    assert counters.status_code == 200
