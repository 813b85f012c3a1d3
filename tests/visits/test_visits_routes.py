"""Visits that cross agencies: one ticket walks its route (config.toml ``then``) from the first step to the last."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Counter, Service
from queue_app.core.outbox import pending
from queue_app.core.site import today
from queue_app.queue import counts, operations, routes, signals
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState, VisitStep
from queue_app.queue.read_models import ticket_public
from queue_app.survey.models import SurveyResponse
from queue_app.survey.operations import NotFinished, submit_survey

from ..helpers import VISIT_SITE, make_site, on_duty, take_ticket, travel_to_midday

pytestmark = pytest.mark.both_databases

ANSWERS = {f"U{i}": 4 for i in range(1, 10)}


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, VISIT_SITE)


@pytest.fixture(autouse=True)
def _midday(request):
    """The steps travel minutes and hours: from 12:00 of the site's day they stay on one service day, whatever
    time the suite runs at (at 23:55 in Jakarta a 6-minute travel landed on the next day)."""
    if "app" in request.fixturenames:
        travel_to_midday(request.getfixturevalue("app"))


@pytest.fixture
def heard():
    """Every ticket signal sent from now on, as ``(signal name, number, kind, details)``."""
    got: list[tuple] = []
    receivers = []
    for name, sig in vars(signals).items():
        if name.startswith("ticket_"):
            def receiver(ticket, *, kind, counter, actor, at, details, _name=name):  # noqa: ANN001
                got.append((_name, ticket.number, kind.value, details))
            receivers.append((sig, receiver))
            sig.connect(receiver)
    yield got
    for sig, receiver in receivers:
        sig.disconnect(receiver)


def serve(counter: str, **finish) -> Ticket:
    """Call the next ticket at ``counter``, start and finish it (committed); return the ticket."""
    ticket = operations.call_next(counter, actor=None)
    assert ticket is not None, f"nobody waits for {counter}"
    db.session.commit()
    operations.start_serving(counter, actor=None)
    db.session.commit()
    operations.finish(counter, actor=None, **finish)
    db.session.commit()
    return db.session.get(Ticket, ticket.id)


def states(ticket: Ticket) -> list[tuple[str, str]]:
    return [(s["service"], s["state"]) for s in ticket_public(ticket)["route"]]


def event_times(ticket: Ticket, kind: EventKind) -> list:
    return db.session.scalars(sa.select(TicketEvent.at).where(TicketEvent.ticket_id == ticket.id,
                                                              TicketEvent.kind == kind).order_by(TicketEvent.id)).all()


def display_calls() -> list[tuple[str, str]]:
    return [(p["number"], p["counter"]["code"]) for kind, p, ns, _ in pending().emits if ns == "/display"]


def test_the_route_is_the_issued_services_then(ctx):
    pbg, _ = operations.issue_ticket("PBG")
    single, _ = operations.issue_ticket("PERIZINAN")
    db.session.commit()
    assert (pbg.route, pbg.route_step) == ("PBG RETRIBUSI SERAH", 0)
    assert single.route is None and "route" not in ticket_public(single)
    assert states(pbg) == [("PBG", "current"), ("RETRIBUSI", "next"), ("SERAH", "next")]


def test_a_route_of_three_steps_keeps_one_ticket_and_finishes_once(ctx, heard):
    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    number, token, issued_at = ticket.number, ticket.token, ticket.issued_at

    clock.travel(timedelta(minutes=4))
    operations.call_next("L01", actor=None)
    db.session.commit()
    clock.travel(timedelta(minutes=6))
    operations.finish("L01", actor=None)
    db.session.commit()
    finished_at = event_times(ticket, EventKind.routed)[0]
    ticket = db.session.get(Ticket, ticket.id)
    # the same ticket waits at the next step, queued from the moment its step finished
    assert (ticket.number, ticket.token, ticket.issued_at) == (number, token, issued_at)
    assert ticket.service.code == "RETRIBUSI" and ticket.status is TicketState.waiting
    assert ticket.queue_at == finished_at and ticket.route_step == 1
    assert ticket.finished_at is None and ticket.started_at is None
    assert states(ticket) == [("PBG", "done"), ("RETRIBUSI", "current"), ("SERAH", "next")]
    # the cashier's line counts it (the kiosk's tiles and the board read these counts)
    assert counts.waiting_counts(today()).get(ticket.service_id) == 1
    # a step's end is not the visit's end: no survey, no ticket_finished
    with pytest.raises(NotFinished):
        submit_survey(token, ANSWERS)
    db.session.rollback()
    assert ("ticket_moved", number, "routed",
            {"from": "PBG", "to": "RETRIBUSI", "step": 1, "steps": 3}) in heard
    assert not [h for h in heard if h[0] == "ticket_finished"]

    # called at the next counter like any ticket: the display calls the same number there
    clock.travel(timedelta(minutes=3))
    called = operations.call_next("L02", actor=None)
    assert called.id == ticket.id and display_calls() == [(number, "L02")]
    db.session.commit()
    operations.finish("L02", actor=None)
    db.session.commit()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.service.code == "SERAH" and ticket.route_step == 2
    assert states(ticket) == [("PBG", "done"), ("RETRIBUSI", "done"), ("SERAH", "current")]

    serve("L03")
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is TicketState.done and ticket.route == "PBG RETRIBUSI SERAH"
    assert states(ticket) == [("PBG", "done"), ("RETRIBUSI", "done"), ("SERAH", "done")]
    assert [h[0] for h in heard].count("ticket_finished") == 1
    assert counts.differences(today()) == []  # every line's kept count matches its tickets
    kinds = db.session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
                               .order_by(TicketEvent.id)).all()
    assert kinds == [EventKind.issued, EventKind.called, EventKind.routed, EventKind.called, EventKind.routed,
                     EventKind.called, EventKind.started, EventKind.finished]
    # each step it left is kept with its own times and counter
    steps = db.session.scalars(sa.select(VisitStep).where(VisitStep.ticket_id == ticket.id)
                               .order_by(VisitStep.step)).all()
    assert [(s.step, s.counter_id is not None) for s in steps] == [(0, True), (1, True)]
    calls = event_times(ticket, EventKind.called)
    assert steps[0].queued_at == issued_at and steps[0].called_at == calls[0]
    assert steps[1].queued_at == finished_at and steps[1].called_at == calls[1]
    assert steps[0].finished_at == finished_at
    # the survey once, after the last step, under the last step's service
    response = submit_survey(token, ANSWERS)
    db.session.commit()
    serah = db.session.scalar(sa.select(Service).where(Service.code == "SERAH"))
    assert db.session.get(SurveyResponse, response.id).service_id == serah.id


def test_end_visit_finishes_the_whole_visit_at_once(ctx, heard):
    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    serve("L01")
    serve("L02", end_visit=True)
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is TicketState.done and ticket.service.code == "RETRIBUSI"
    assert ticket.route == "PBG RETRIBUSI"  # the route it walked
    assert states(ticket) == [("PBG", "done"), ("RETRIBUSI", "done")]
    finishes = [h for h in heard if h[0] == "ticket_finished"]
    assert finishes == [("ticket_finished", ticket.number, "finished", {"end_visit": True, "skipped": ["SERAH"]})]
    submit_survey(ticket.token, ANSWERS)
    db.session.commit()


def test_a_step_may_be_skipped_to_one_the_route_names(ctx):
    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="RETRIBUSI, SERAH"):
        operations.finish("L01", actor=None, to="PERIZINAN")
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        operations.finish("L01", actor=None, to="SERAH", end_visit=True)
    db.session.rollback()
    operations.finish("L01", actor=None, to="SERAH")
    db.session.commit()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.service.code == "SERAH" and ticket.route == "PBG SERAH" and ticket.route_step == 1
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.routed)).one()
    assert event.details["skipped"] == ["RETRIBUSI"]
    # a single-service visit names no step
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        operations.finish("L01", actor=None, to="SERAH")
    db.session.rollback()


def test_a_route_keeps_its_priority_and_joins_by_the_moment_it_finished(ctx):
    early, _ = operations.issue_ticket("RETRIBUSI")  # walked in for the cashier before anyone's step ended
    normal, _ = operations.issue_ticket("PBG")
    prio, _ = operations.issue_ticket("PBG", priority=True)
    db.session.commit()
    assert serve("L01").id == prio.id  # priority first at the first step
    clock.travel(timedelta(minutes=1))
    assert serve("L01").id == normal.id
    clock.travel(timedelta(minutes=1))
    late, _ = operations.issue_ticket("RETRIBUSI")
    db.session.commit()
    prio = db.session.get(Ticket, prio.id)
    assert prio.priority and prio.service.code == "RETRIBUSI"
    # at the cashier: the priority step first, then by queue time: the walk-in who came before the normal
    # ticket's step ended, the normal ticket, then the walk-in who came after
    order = []
    for _ in range(4):
        order.append(operations.call_next("L02", actor=None).id)
        operations.finish("L02", actor=None)
        db.session.commit()
    assert order == [prio.id, early.id, normal.id, late.id]
    assert db.session.get(Ticket, prio.id).service.code == "SERAH"


def test_a_closed_next_step_keeps_the_ticket_waiting_with_a_clear_message(ctx):
    from queue_app.queue.operations import begin_write

    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    begin_write()
    cashier = db.session.scalar(sa.select(Service).where(Service.code == "RETRIBUSI"))
    cashier.closed_on = today()
    cashier.closed_reason = "Sistem pembayaran sedang gangguan"
    db.session.commit()

    counter = db.session.scalar(sa.select(Counter).where(Counter.code == "L01"))
    visit = routes.panel_visit(counter.current_ticket)
    assert visit["next"]["service"] == "RETRIBUSI" and visit["next"]["open"] is False
    assert visit["next"]["closed_reason"] == "service_closed"

    operations.finish("L01", actor=None)
    db.session.commit()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is TicketState.waiting and ticket.service.code == "RETRIBUSI"
    assert routes.moved_note(ticket)["open"] is False
    current = ticket_public(ticket)["route"][1]
    assert current["state"] == "current" and current["open"] is False
    assert current["closed_reason"] == "service_closed"

    # opened again (the closure lifted): the step is called like any ticket
    begin_write()
    cashier = db.session.scalar(sa.select(Service).where(Service.code == "RETRIBUSI"))
    cashier.closed_on = None
    db.session.commit()
    assert ticket_public(db.session.get(Ticket, ticket.id))["route"][1]["open"] is True
    assert operations.call_next("L02", actor=None).id == ticket.id
    db.session.commit()


def test_a_step_closed_by_its_hours_says_when_it_opens_again(tmp_path, db_url):
    from ..helpers import built_app

    text = VISIT_SITE.replace('prefix = "U"\n', 'prefix = "U"\nhours = "13:00-15:00"\n')
    with built_app(make_site(tmp_path, text), db_url) as app, app.app_context():
        travel_to_midday(app)
        ticket, _ = operations.issue_ticket("PBG")
        db.session.commit()
        serve("L01")
        ticket = db.session.get(Ticket, ticket.id)
        current = ticket_public(ticket)["route"][1]
        assert ticket.status is TicketState.waiting and current["open"] is False
        assert current["closed_reason"] == "outside_hours"
        assert current["reopens_label"] == {"id": "Buka kembali pukul 13.00", "en": "Opens again at 13:00"}
        clock.travel(timedelta(hours=1, minutes=1))
        assert ticket_public(db.session.get(Ticket, ticket.id))["route"][1]["open"] is True
        db.session.rollback()


def test_finish_and_call_next_goes_on_and_a_transfer_replaces_the_step(ctx):
    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    assert operations.call_next("L01", actor=None, finish_current=True) is None  # nobody else waits for L01
    db.session.commit()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.service.code == "RETRIBUSI" and ticket.status is TicketState.waiting
    # the cashier sends it to the front office instead (a transfer): that service replaces the step
    operations.call_next("L02", actor=None)
    db.session.commit()
    operations.transfer("L02", "PERIZINAN", actor=None)
    db.session.commit()
    assert states(db.session.get(Ticket, ticket.id)) == [("PBG", "done"), ("PERIZINAN", "current"),
                                                         ("SERAH", "next")]
    serve("L01")
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.service.code == "SERAH" and ticket.route == "PBG PERIZINAN SERAH"


def test_a_config_change_does_not_reroute_a_visit_under_way(ctx, app):
    ticket, _ = operations.issue_ticket("PBG")
    db.session.commit()
    site = app.extensions["site"]
    pbg = site.service("PBG")
    app.extensions["site"] = site.model_copy(update={"services": tuple(
        s.model_copy(update={"then": ()}) if s is pbg else s for s in site.services)})
    try:
        assert routes.planned_route("PBG") is None
        assert serve("L01").service.code == "RETRIBUSI"
    finally:
        app.extensions["site"] = site


# --- over HTTP: the counter's finish, the visitor's view, the panel --------------------------------------


def test_finish_over_http_says_where_the_visit_went_and_end_visit_ends_it(client, clerk, staff):
    headers = staff.headers("kasir", "clerk", ["L01", "L02", "L03"])
    token = take_ticket(client, "PBG").json["token"]
    assert client.post("/api/counters/L01/call-next", headers=headers).status_code == 200
    view = client.get("/api/counters/L01/queue", headers=headers).json["visit"]
    assert [s["state"] for s in view["route"]] == ["current", "next", "next"]
    assert view["next"]["service"] == "RETRIBUSI" and view["next"]["open"] is True
    assert [s["service"] for s in view["may_go_to"]] == ["RETRIBUSI", "SERAH"] and view["came_from"] is None

    r = client.post("/api/counters/L01/finish", json={"next": "NOPE"}, headers=headers)
    assert r.status_code == 422 and r.json["error"]["field"] == "next"
    r = client.post("/api/counters/L01/finish", json={"next": 7}, headers=headers)
    assert r.status_code == 422
    r = client.post("/api/counters/L01/finish", headers=headers)
    assert r.status_code == 200 and r.json["ticket"] is None
    moved = r.json["next_step"]
    assert (moved["number"], moved["service"], moved["open"]) == ("H-001", "RETRIBUSI", True)

    public = client.get(f"/api/tickets/{token}").json
    assert public["status"] == "waiting" and public["service"] == "RETRIBUSI"
    assert [(s["service"], s["state"]) for s in public["route"]] == [
        ("PBG", "done"), ("RETRIBUSI", "current"), ("SERAH", "next")]
    # nobody has a counter of the next step open yet: no estimate, and it says why
    assert public["route"][2]["estimated_wait_seconds"] is None and public["route"][2]["nobody_on_duty"] is True
    on_duty(client.application)
    public = client.get(f"/api/tickets/{token}").json
    assert public["route"][2]["estimated_wait_seconds"] >= 0 and "nobody_on_duty" not in public["route"][2]
    assert client.post(f"/api/tickets/{token}/survey", json={"answers": ANSWERS}).json["error"]["code"] \
        == "not_finished"

    # the cashier sees where the visitor comes from, in the list and once called
    waiting = client.get("/api/counters/L02/queue", headers=headers).json["waiting"]
    assert [(w["number"], w["came_from"]) for w in waiting] == [("H-001", "Persetujuan Bangunan Gedung")]
    client.post("/api/counters/L02/call-next", headers=headers)
    came = client.get("/api/counters/L02/queue", headers=headers).json["visit"]["came_from"]
    assert (came["service"], came["counter"]) == ("PBG", "Loket 1")

    r = client.post("/api/counters/L02/finish", json={"end_visit": True}, headers=headers)
    assert r.status_code == 200 and "next_step" not in r.json
    public = client.get(f"/api/tickets/{token}").json
    assert public["status"] == "done" and [s["state"] for s in public["route"]] == ["done", "done"]
    assert client.post(f"/api/tickets/{token}/survey", json={"answers": ANSWERS}).status_code == 201
    tally = client.get("/api/counters/L02/queue", headers=headers).json["tally"]
    assert tally["served"] == 2  # the step at L01 and the visit's end at L02


def test_the_visitors_socket_follows_the_ticket_to_its_next_line(app, client, staff):
    from queue_app.core.extensions import socketio

    headers = staff.headers("kasir", "clerk", ["L01", "L02", "L03"])
    token = take_ticket(client, "PBG").json["token"]
    phone = socketio.test_client(app, namespace="/ticket", auth={"token": token, "moves": True})
    client.post("/api/counters/L01/call-next", headers=headers)
    phone.get_received("/ticket")
    client.post("/api/counters/L01/finish", headers=headers)
    views = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "ticket"]
    assert views and views[-1]["service"] == "RETRIBUSI" and views[-1]["status"] == "waiting"
    assert [s["state"] for s in views[-1]["route"]] == ["done", "current", "next"]
    # the phone moves to its new line's room and hears it move
    view = phone.emit("sync", None, namespace="/ticket", callback=True)
    assert view["service"] == "RETRIBUSI"
    take_ticket(client, "RETRIBUSI", priority=False)
    client.post("/api/counters/L02/call-next", headers=headers)
    assert any(e["name"] == "ticket" and e["args"][0]["status"] == "called"
               for e in phone.get_received("/ticket"))
    phone.disconnect("/ticket")


def test_the_counter_tablet_offers_the_survey_after_the_last_step_only(ctx):
    def offers() -> list[str]:
        return [to for kind, _p, ns, to in pending().emits if kind == "survey_offer"]

    operations.issue_ticket("PBG")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    operations.finish("L01", actor=None)
    assert offers() == []  # the visit goes on at the cashier: nothing to rate yet
    db.session.commit()
    operations.call_next("L02", actor=None)
    db.session.commit()
    operations.finish("L02", actor=None, end_visit=True)
    assert offers() == ["tablet:L02"]  # ended here: the tablet facing the visitor at this desk offers it
    db.session.commit()
