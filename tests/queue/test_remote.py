"""Joining from afar (contract, third round): a place taken from a phone, checked in at a kiosk with its code,
passed over by call-next while absent and struck off ``hold_minutes`` after it first could have been called."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.queue.models import Ticket
from tests.helpers import TEST_SITE, built_app, error_of, issued, kiosk_headers, make_site, travel_to_midday

pytestmark = pytest.mark.both_databases

REMOTE_SITE = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.remote]
daily_quota = 4
arrive_ahead = 2
hold_minutes = 10
''', 1) + '''
[[services]]
code = "PAGI"
agency = "DPMPTSP"
name = "Layanan Pagi"
prefix = "M"
hours = "06:00-07:00"

[services.remote]
daily_quota = 5
'''
CODE_RE = re.compile(r"^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$")


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, REMOTE_SITE)


def join(client, service: str = "PERIZINAN", **body):
    return client.post("/api/tickets", json={"service": service, "remote": True, **body})


def joined(client, service: str = "PERIZINAN", **body) -> dict:
    resp = join(client, service, **body)
    assert resp.status_code == 201, resp.text
    return resp.json


def view(client, ticket: dict) -> dict:
    return client.get(f"/api/tickets/{ticket['token']}").json


def call_next(client, clerk, counter: str = "L01", **body) -> dict | None:
    resp = client.post(f"/api/counters/{counter}/call-next", headers=clerk, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json["ticket"]


def arrive(client, code: str, kiosk: str = "K1"):
    return client.post(f"/api/tickets/{code}/arrive", json={"kiosk": kiosk}, headers=kiosk_headers(client.application,
                                                                                                       kiosk))


# --- joining --------------------------------------------------------------------------------------


def test_joining_from_afar_needs_no_kiosk_and_gives_a_code_never_printed(app, client):
    body = joined(client, phone="0812-3456 7890")
    assert body["status"] == "waiting" and body["priority"] is False and body["number"] == "A-001"
    assert body["arrived"] is False and CODE_RE.match(body["code"])
    assert body["print"] == {"status": "none", "error": None}
    assert body["track_url"] == f"http://mpp.test/t/{body['token']}"
    mine = view(client, body)
    assert mine["arrived"] is False and mine["code"] == body["code"] and mine["come_now"] is True
    assert mine["arrive_ahead"] == 2 and mine["hold_until"] is None
    with app.app_context():
        assert db.session.scalar(sa.select(Ticket.phone).where(Ticket.token == body["token"])) == "6281234567890"
    # a walk-in's view carries none of it
    walk_in = issued(client)
    assert "arrived" not in view(client, walk_in) and "code" not in view(client, walk_in)


def test_the_place_counts_from_joining(client):
    issued(client)
    mine = joined(client)
    assert mine["ahead"] == 1
    behind = issued(client)
    assert view(client, behind)["ahead"] == 2


@pytest.mark.parametrize("phone", ["+62 812 3456 7890", "62812-3456-7890", "081234567890"])
def test_a_phone_is_stored_as_digits_starting_62(app, client, phone):
    body = joined(client, phone=phone)
    with app.app_context():
        stored = db.session.scalar(sa.select(Ticket.phone).where(Ticket.token == body["token"]))
    assert stored.startswith("62") and stored.isdigit()


@pytest.mark.parametrize("phone", ["12345", "0800", "+1 555 0100", "0812abc4567", "9" * 40])
def test_a_bad_phone_is_refused(client, phone):
    err = error_of(join(client, phone=phone), 422)
    assert err["code"] in ("invalid_phone", "validation_failed") and err.get("field") == "phone"


def test_never_priority(client):
    assert error_of(join(client, priority=True), 403)["code"] == "priority_not_allowed"


def test_a_service_without_remote_is_not_offered(client):
    assert error_of(join(client, "NONIZIN"), 409)["code"] == "remote_not_offered"
    assert error_of(join(client, "NOPE"), 404)["code"] == "service_not_found"


def test_a_closed_service_says_so(app, client):
    travel_to_midday(app)
    assert error_of(join(client, "PAGI"), 409)["code"] == "outside_hours"


def test_a_holiday_says_so(tmp_path):
    today = clock.utcnow().astimezone(make_site(tmp_path, REMOTE_SITE).tz).date()
    text = REMOTE_SITE + f'\n[[holidays]]\ndate = "{today.isoformat()}"\nname = "Hari Uji"\n'
    with built_app(make_site(tmp_path, text), tmp_path / "holiday.db") as app:
        err = error_of(join(app.test_client()), 409)
    assert err["code"] == "holiday"


def test_the_days_quota_from_afar_and_the_places_left(client):
    tiles = {s["code"]: s for s in client.get("/api/services").json}
    assert tiles["PERIZINAN"]["remote"] == {"left_today": 4}
    assert tiles["NONIZIN"]["remote"] is None
    for left in (3, 2, 1, 0):
        joined(client)
        assert {s["code"]: s for s in client.get("/api/services").json}["PERIZINAN"]["remote"] == {"left_today": left}
    assert error_of(join(client), 409)["code"] == "remote_quota_full"
    # the hall is not affected: walk-ins still get their tickets
    assert issued(client)["number"] == "A-005"


def test_the_quota_holds_on_the_numbers_row_and_a_taken_quota_is_remembered(app, client, monkeypatch):
    """In a burst every join reads the count before any of them takes a place: the exact check is the count
    kept on the day's number row, bumped with the number; once a process found the quota taken there, its
    next joins are refused without a statement about the line."""
    from queue_app.queue import remote

    for _ in range(4):
        joined(client)
    from queue_app.core.codes import random_code

    # as if the count was read before the others joined
    monkeypatch.setattr(remote, "_admit", lambda *args: random_code())
    assert error_of(join(client), 409)["code"] == "remote_quota_full"
    with app.app_context():
        engine = db.engine
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                 .where(Ticket.checkin_code.is_not(None))) == 4
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert error_of(join(client), 409)["code"] == "remote_quota_full"
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in seen if "daily_numbers" in s or "tickets" in s], seen
    assert issued(client)["number"] == "A-005"  # the hall's own tickets go on


def test_a_retried_join_with_its_idempotency_key_gets_the_same_place(app, client):
    """A phone that lost the answer sends the join again with the same key: the same place and code, no second
    place, nothing spent from its budget. The key is bound to the requester: the same key from another
    address (or for another phone) is another visitor's request, never answered with this one's ticket."""
    app.config.update(RATELIMIT_REMOTE_PER_ADDRESS=2, RATELIMIT_REMOTE_PER_PHONE=2)
    key = {"Idempotency-Key": "join-7f3a"}
    first = client.post("/api/tickets", json={"service": "PERIZINAN", "remote": True, "phone": "081234560001"},
                        headers=key)
    assert first.status_code == 201, first.text
    for _ in range(3):  # past the address's budget of 2: a repeat spends nothing
        again = client.post("/api/tickets", json={"service": "PERIZINAN", "remote": True, "phone": "0812-3456-0001"},
                            headers=key)
        assert again.status_code == 201, again.text
        assert {k: again.json[k] for k in ("token", "code", "number")} == \
            {k: first.json[k] for k in ("token", "code", "number")}
        assert again.json["arrived"] is False
    other = client.post("/api/tickets", json={"service": "PERIZINAN", "remote": True, "phone": "081234560002"},
                        headers=key, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201 and other.json["token"] != first.json["token"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                 .where(Ticket.checkin_code.is_not(None))) == 2
    bad = client.post("/api/tickets", json={"service": "PERIZINAN", "remote": True}, headers={"Idempotency-Key": "a b"})
    assert bad.status_code == 422


def test_a_place_given_back_is_not_given_again(client):
    first = joined(client)
    assert client.delete(f"/api/tickets/{first['token']}").status_code == 200
    # the quota counts places taken today, not places held: leaving does not free one for another phone
    assert {s["code"]: s for s in client.get("/api/services").json}["PERIZINAN"]["remote"] == {"left_today": 3}


def test_limits_per_address_and_per_phone(app, client):
    app.config.update(RATELIMIT_REMOTE_PER_ADDRESS=3, RATELIMIT_REMOTE_PER_PHONE=2)
    joined(client, phone="081234567890")
    # one phone holds one place per line
    err = error_of(join(client, phone="+62 812 3456 7890"), 429)
    assert err["code"] == "rate_limited"
    joined(client, phone="081200000001")
    # the address's budget for the hour is spent (three attempts)
    assert error_of(join(client, phone="081200000002"), 429)["code"] == "rate_limited"


def test_the_per_phone_limit_counts_places_taken(app, client):
    app.config.update(RATELIMIT_REMOTE_PER_PHONE=1)
    first = joined(client, phone="081234567890")
    assert client.delete(f"/api/tickets/{first['token']}").status_code == 200
    assert error_of(join(client, phone="081234567890"), 429)["code"] == "rate_limited"
    joined(client, phone="081299999999")


def test_the_limits_are_lifted_for_load_tests():
    code = ("from queue_app.core.config import Config as C; "
            "print(C.RATELIMIT_REMOTE_PER_ADDRESS, C.RATELIMIT_REMOTE_PER_PHONE)")
    env = {**os.environ, "MPP_QUEUE_RATELIMIT_TICKETS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]
    env.pop("MPP_QUEUE_RATELIMIT_TICKETS")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert all(int(n) > 0 for n in out.stdout.split())


# --- arriving -------------------------------------------------------------------------------------


def test_arriving_at_the_kiosk_prints_and_repeats(app, client):
    mine = joined(client)
    resp = arrive(client, mine["code"].lower(), "K2")  # typed in lower case: the same code
    assert resp.status_code == 200, resp.text
    body = resp.json
    assert body["arrived"] is True and body["number"] == mine["number"] and body["code"] == mine["code"]
    assert body["print"]["status"] == "printed" and body["status"] == "waiting"
    again = arrive(client, mine["code"], "K2")
    assert again.status_code == 200 and again.json["number"] == mine["number"] and again.json["arrived"] is True
    assert view(client, mine)["arrived"] is True and view(client, mine)["come_now"] is False


def test_arriving_refusals(app, client, clerk):
    mine = joined(client)
    assert error_of(arrive(client, "ZZZZZZZZ"), 404)["code"] == "ticket_not_found"
    assert error_of(arrive(client, "not a code at all"), 404)["code"] == "ticket_not_found"
    # a kiosk proves itself; anyone else is refused
    anonymous = client.post(f"/api/tickets/{mine['code']}/arrive", json={"kiosk": "K1"})
    assert error_of(anonymous, 401)["code"] == "kiosk_unauthorized"
    assert error_of(client.post(f"/api/tickets/{mine['code']}/arrive", json={}), 401)["code"] == "kiosk_required"
    assert client.delete(f"/api/tickets/{mine['token']}").status_code == 200
    assert error_of(arrive(client, mine["code"]), 409)["code"] == "not_waiting"


def test_staff_check_a_visitor_in_at_the_desk(client, clerk):
    mine = joined(client)
    resp = client.post(f"/api/tickets/{mine['code']}/arrive", headers=clerk, json={})
    assert resp.status_code == 200 and resp.json["arrived"] is True and resp.json["print"]["status"] == "none"


# --- call-next ------------------------------------------------------------------------------------


def test_call_next_passes_over_who_has_not_arrived(app, client, clerk):
    away = joined(client)
    walk_in = issued(client)
    later = issued(client)
    assert call_next(client, clerk)["number"] == walk_in["number"]
    mine = view(client, away)
    assert mine["status"] == "waiting" and mine["ahead"] == 0 and mine["hold_until"]
    assert view(client, later)["ahead"] == 1  # it keeps its place
    assert arrive(client, away["code"]).status_code == 200
    assert call_next(client, clerk, finish_current=True)["number"] == away["number"]
    assert call_next(client, clerk, finish_current=True)["number"] == later["number"]


def test_nobody_present_calls_nobody(client, clerk):
    away = joined(client)
    assert call_next(client, clerk) is None
    assert view(client, away)["status"] == "waiting" and view(client, away)["hold_until"]


def test_a_hold_ends_in_no_show(app, client, clerk):
    travel_to_midday(app)
    away = joined(client)
    first, second = issued(client), issued(client)
    assert call_next(client, clerk)["number"] == first["number"]
    clock.travel(timedelta(minutes=9))
    assert call_next(client, clerk, finish_current=True)["number"] == second["number"]
    assert view(client, away)["status"] == "waiting"
    clock.travel(timedelta(minutes=2))  # 11 minutes after it was first passed over
    assert call_next(client, clerk, finish_current=True) is None
    gone = view(client, away)
    assert gone["status"] == "no_show" and gone["arrived"] is False and gone["come_now"] is False
    assert error_of(arrive(client, away["code"]), 409)["code"] == "not_waiting"


def test_only_who_was_told_to_come_is_passed_over(app, client, clerk):
    travel_to_midday(app)
    absent = [joined(client) for _ in range(3)]  # arrive_ahead = 2: the third is not told to come yet
    walk_in = issued(client)
    assert [view(client, t)["come_now"] for t in absent] == [True, True, False]
    assert call_next(client, clerk)["number"] == walk_in["number"]
    assert [bool(view(client, t)["hold_until"]) for t in absent] == [True, True, False]
    clock.travel(timedelta(minutes=11))
    assert call_next(client, clerk, finish_current=True) is None  # the first two are struck off
    states = [view(client, t) for t in absent]
    assert [s["status"] for s in states] == ["no_show", "no_show", "waiting"]
    assert states[2]["ahead"] == 0 and states[2]["come_now"] is True and states[2]["hold_until"]


def test_a_counter_of_other_services_pays_nothing(app, client, staff):
    halal = staff.headers("clerk3", "clerk", ["L03"])
    joined(client)
    issued(client, "HALAL", kiosk="K2")
    assert call_next(client, halal, "L03")["service"] == "HALAL"


def test_a_clerk_may_call_an_absent_visitor_by_number(client, clerk):
    away = joined(client)
    resp = client.post("/api/counters/L01/call", headers=clerk, json={"number": away["number"]})
    assert resp.status_code == 200 and resp.json["ticket"]["number"] == away["number"]
    mine = view(client, away)
    assert mine["status"] == "called" and mine["arrived"] is True  # at the desk: checked in by the call


def test_housekeeping_ends_a_hold_while_nobody_calls(app, client, clerk):
    from queue_app.queue import remote

    travel_to_midday(app)
    away = joined(client)
    issued(client)
    call_next(client, clerk)  # passed over
    with app.app_context():
        assert remote.lapse_due() == 0
        db.session.commit()
    clock.travel(timedelta(minutes=10, seconds=1))
    with app.app_context():
        assert remote.lapse_due() == 1
        db.session.commit()
    assert view(client, away)["status"] == "no_show"
