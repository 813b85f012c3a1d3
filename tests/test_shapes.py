"""The declared response models are what the endpoints really send, and every error is the contract's body.

The serializers build plain dicts (fast on the Socket.IO path); the OpenAPI document is built from the pydantic
models in ``queue_app/api/shapes``. A realistic day drives every documented operation here and each answer is
validated, strictly and closed (no unknown fields), against the model its ``@documented`` names for that status;
an error status must be one the operation documents and its body the ``Error`` model. Adding a field on one side
only, or an endpoint without a shape, fails this module.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy.exc import DBAPIError

from queue_app.api.declare import Media
from queue_app.api.shapes import Error
from queue_app.core import clock
from queue_app.core.extensions import db
from tests.helpers import TEST_SITE, Staff, built_app, kiosk_headers, make_site, travel_to_midday

pytestmark = pytest.mark.both_databases


class Checked:
    """A test client whose every /api answer is checked against the endpoint's declaration."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.client = app.test_client()
        #: (method, rule) of each operation answered with a success
        self.succeeded: set[tuple[str, str]] = set()
        self.errors: set[int] = set()

    def __call__(self, method: str, url: str, status: int, *, headers: dict | None = None, **kw: Any):
        resp = self.client.open(url, method=method, headers=headers or {}, **kw)
        assert resp.status_code == status, (method, url, resp.status_code, resp.get_data(as_text=True)[:500])
        rule, view = self.app.url_map.bind("mpp.test").match(url.split("?")[0], method=method, return_rule=True)
        op = self.app.view_functions[rule.endpoint].__openapi__
        reply = op.responses.get(status)
        if reply is None:
            assert status in op.errors, f"{method} {rule.rule} answered an undocumented {status}"
            TypeAdapter(Error).validate_json(resp.data, strict=True)
            self.errors.add(status)
        elif isinstance(reply, Media):
            assert resp.mimetype == reply.mime and resp.data
        else:
            TypeAdapter(reply).validate_json(resp.data, strict=True)
        if status < 300:
            self.succeeded.add((method, rule.rule))
        return resp.get_json(silent=True)


def documented_operations(app) -> set[tuple[str, str]]:  # noqa: ANN001
    return {(m, rule.rule) for rule in app.url_map.iter_rules()
            if hasattr(app.view_functions[rule.endpoint], "__openapi__")
            for m in rule.methods - {"HEAD", "OPTIONS"}}


def _public_day(call: Checked, clerk: dict) -> dict[str, str]:
    """Tickets issued, called, served, transferred, no-shows: returns a few tokens by what became of them."""
    call("GET", "/api/services", 200)
    call("GET", "/api/services?kiosk=K2", 200)
    key = kiosk_headers(call.app, "K2", **{"Idempotency-Key": "kiosk-1"})
    k1 = kiosk_headers(call.app, "K1")
    first = call("POST", "/api/tickets", 201, json={"service": "PERIZINAN", "kiosk": "K2"}, headers=key)
    again = call("POST", "/api/tickets", 201, json={"service": "PERIZINAN", "kiosk": "K2"}, headers=key)
    assert again["repeated"] is True and again["token"] == first["token"]
    tokens = {"first": first["token"]}
    for service in ("PERIZINAN", "NONIZIN", "NONIZIN", "HALAL"):
        tokens.setdefault(service, call("POST", "/api/tickets", 201, headers=k1,
                                        json={"service": service, "priority": False, "kiosk": "K1"})["token"])
    call("POST", "/api/tickets", 201, json={"service": "NONIZIN", "priority": True, "kiosk": "K1"}, headers=k1)
    call("GET", f"/api/tickets/{tokens['NONIZIN']}", 200)
    clock.travel(timedelta(minutes=7))
    # the counter's day: call, recall, serve, finish, transfer, no-show, pause, resume (and a replayed key)
    call("GET", "/api/counters", 200, headers=clerk)
    call("POST", "/api/counters/L01/call-next", 200, headers={**clerk, "Idempotency-Key": "c-1"})
    replay = call("POST", "/api/counters/L01/call-next", 200, headers={**clerk, "Idempotency-Key": "c-1"})
    assert replay["replayed"] is True and replay["ticket"]["counter"]["code"] == "L01"
    call("POST", "/api/counters/L01/recall", 200, headers=clerk)
    call("POST", "/api/counters/L01/start", 200, headers=clerk)
    call("GET", f"/api/tickets/{tokens['first']}", 200)
    clock.travel(timedelta(minutes=4))
    call("POST", "/api/counters/L01/finish", 200, headers=clerk)
    call("GET", f"/api/tickets/{tokens['first']}", 200)
    call("POST", "/api/counters/L01/call-next", 200, headers=clerk, json={"finish_current": True})
    call("POST", "/api/counters/L01/transfer", 200, headers=clerk, json={"service": "NONIZIN"})
    call("POST", "/api/counters/L02/call", 200, headers=clerk, json={"number": "A-002", "printer": "p1"})
    call("POST", "/api/counters/L02/no-show", 200, headers=clerk)
    call("POST", "/api/counters/L02/call-next", 200, headers=clerk)
    call("GET", "/api/counters/L02/queue", 200, headers=clerk)
    call("POST", "/api/counters/L01/pause", 200, headers=clerk)
    call("GET", "/api/counters/L01/queue", 200, headers=clerk)
    call("POST", "/api/counters/L01/resume", 200, headers=clerk)
    call("GET", "/api/counters", 200, headers=clerk)
    call("GET", "/api/display", 200)
    call("GET", "/api/display?zone=lantai-1", 200)
    call("GET", "/api/health", 200)
    return tokens


def _survey(app, call: Checked, clerk: dict, manager: dict, admin: dict, tokens: dict[str, str]) -> None:
    """The satisfaction survey: the phone answers a finished visit, the counter's tablet the next one."""
    from queue_app.core.lookups import get_counter
    from queue_app.survey.tablet import latest_offer

    answers = {"answers": {f"U{i}": 3 for i in range(1, 10)}, "respondent": {"gender": "P", "age": 30},
               "comment": "Cepat"}
    call("GET", "/api/survey", 200)
    visit = call("POST", "/api/tickets", 201, json={"service": "PERIZINAN"}, headers=clerk)  # the information desk
    call("POST", "/api/counters/L02/finish", 200, headers=clerk)  # the day left a visitor there
    call("POST", "/api/counters/L02/call", 200, headers=clerk, json={"number": visit["number"]})
    call("POST", "/api/counters/L02/finish", 200, headers=clerk)
    call("GET", f"/api/tickets/{visit['token']}/survey", 200)
    call("POST", f"/api/tickets/{visit['token']}/survey", 201, json=answers)
    call("POST", "/api/counters/L01/call-next", 200, headers=clerk)
    call("POST", "/api/counters/L01/finish", 200, headers=clerk)
    with app.app_context():
        offer = latest_offer(get_counter("L01"))
    assert offer is not None
    with app.app_context():
        from queue_app.core.extensions import db
        from queue_app.staff.devices import create_key

        key = create_key("survey", "L01")
        db.session.commit()
    call("POST", "/api/survey/tablet/L01", 201, headers={"X-Survey-Key": key}, json={**answers, "offer": offer["offer"]})
    for who in (manager, admin):
        call("GET", "/api/stats/ikm", 200, headers=who)
    call("GET", "/api/stats/ikm.xlsx", 200, headers=admin)
    site = app.extensions["site"]
    app.extensions["site"] = site.model_copy(update={"display": site.display.model_copy(update={"show_ikm": True})})
    try:
        call("GET", "/api/survey/published", 200)
    finally:
        app.extensions["site"] = site


#: the test site with bookings for its first service, so the booking endpoints take part in the day
BOOKING = TEST_SITE.replace("target_wait_minutes = 15\n", """target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 4

[services.remote]
daily_quota = 10
arrive_ahead = 3
""", 1)


def _booking(app, call: Checked, clerk: dict, admin: dict) -> None:
    """A visitor books the slot under way today, looks it up, checks in at a kiosk; another cancels."""
    from queue_app.core import clock
    from queue_app.core.site import current_site

    with app.app_context():
        now = clock.utcnow().astimezone(current_site().tz)
    day = now.date().isoformat()
    slots = call("GET", f"/api/booking/slots?service=PERIZINAN&date={day}", 200)
    start = slots[0]["start"]  # the slot under way (ended ones are left out)
    booked = call("POST", "/api/bookings", 201, json={"service": "PERIZINAN", "date": day, "start": start})
    call("GET", f"/api/bookings/{booked['token']}", 200)
    call("POST", f"/api/bookings/{booked['code']}/check-in", 201, headers=kiosk_headers(app, "K1"),
         json={"kiosk": "K1"})
    call("POST", f"/api/bookings/{booked['code']}/check-in", 200, headers=kiosk_headers(app, "K1"),
         json={"kiosk": "K1"})  # a repeat: the same ticket
    other = call("POST", "/api/bookings", 201, json={"service": "PERIZINAN", "date": day, "start": start})
    call("DELETE", f"/api/bookings/{other['token']}", 200)
    call("GET", "/api/stats/bookings", 200, headers=admin)


def _remote(app, call: Checked, clerk: dict) -> None:
    """Joining from afar: a place from the phone, arriving at the kiosk with the code; another leaves the line."""
    services = call("GET", "/api/services", 200)
    assert {s["code"]: s["remote"] for s in services}["PERIZINAN"]["left_today"] >= 1
    far = call("POST", "/api/tickets", 201, json={"service": "PERIZINAN", "remote": True, "phone": "0812 3456 789"})
    assert far["arrived"] is False and far["print"]["status"] == "none"
    call("GET", f"/api/tickets/{far['token']}", 200)
    call("POST", "/api/counters/L01/call-next", 200, headers=clerk, json={"finish_current": True})
    call("GET", f"/api/tickets/{far['token']}", 200)  # passed over: hold_until
    call("GET", "/api/counters/L01/queue", 200, headers=clerk)
    call("POST", f"/api/tickets/{far['code']}/arrive", 200, headers=kiosk_headers(app, "K2"), json={"kiosk": "K2"})
    call("POST", f"/api/tickets/{far['code']}/arrive", 200, headers=clerk, json={})
    call("GET", f"/api/tickets/{far['token']}", 200)
    leaving = call("POST", "/api/tickets", 201, json={"service": "PERIZINAN", "remote": True})
    call("DELETE", f"/api/tickets/{leaving['token']}", 200)
    call("DELETE", f"/api/tickets/{leaving['token']}", 409)


def _evaluation(call: Checked, clerk: dict, manager: dict, admin: dict, tokens: dict[str, str]) -> None:
    """What an MPP is judged on: a standard and the maklumat, a complaint answered, the SKM follow-up, the results."""
    call("GET", "/api/site", 200)
    call("PUT", "/api/admin/services/PERIZINAN/standard", 200, headers=admin,
         json={"persyaratan": ["KTP-el", "NIB"], "waktu": "5 hari kerja"})
    call("GET", "/api/services/PERIZINAN/standard", 200)
    call("DELETE", "/api/admin/services/PERIZINAN/standard", 200, headers=admin)
    made = call("POST", "/api/complaints", 201, json={"text": "Antrean lama", "ticket": tokens["first"],
                                                      "name": "Budi", "phone": "0812 3456 7890"})
    call("GET", f"/api/complaints/{made['token']}", 200)
    for who in (manager, admin):
        call("GET", "/api/complaints", 200, headers=who)
    call("GET", "/api/complaints?status=received&overdue=false", 200, headers=admin)
    call("POST", f"/api/complaints/{made['reference']}/responses", 201, headers=manager,
         json={"text": "Kami tindak lanjuti", "status": "resolved", "lapor": "LAP-1"})
    call("GET", f"/api/complaints/{made['reference']}/responses", 200, headers=admin)
    call("GET", f"/api/complaints/{made['token']}", 200)
    call("GET", "/api/stats/complaints", 200, headers=manager)
    month = clock.utcnow().strftime("%Y-%m")
    action = call("POST", "/api/stats/ikm/actions", 201, headers=manager,
                  json={"period": month, "unsur": "U3", "action": "Tambah loket", "owner": "Kabid", "due": "2027-01-31"})
    call("PATCH", f"/api/stats/ikm/actions/{action['id']}", 200, headers=manager,
         json={"status": "done", "evidence": "SK 12"})
    call("GET", f"/api/stats/ikm/actions?period={month}", 200, headers=admin)
    call("GET", "/api/public/ikm", 200)
    call("GET", "/api/stats/evaluation.xlsx", 200, headers=manager)


@pytest.fixture
def booking_app(tmp_path, db_url):
    with built_app(make_site(tmp_path, BOOKING), db_url) as app:
        yield app


def test_every_endpoint_answers_its_declared_shape(booking_app):
    app = booking_app
    travel_to_midday(app)  # the day below travels minutes and hours: it must not cross midnight
    staff = Staff(app)
    call = Checked(app)
    clerk = staff.headers("clerk1", "clerk", ["L01", "L02"])
    admin = staff.headers("admin1", "admin")
    manager = staff.headers("manager1", "manager", agency="DPMPTSP")
    tokens = _public_day(call, clerk)
    _survey(app, call, clerk, manager, admin, tokens)
    _booking(app, call, clerk, admin)
    _evaluation(call, clerk, manager, admin, tokens)

    staff.user("siti", "clerk", ["L01"], password="kata-sandi-1")
    signed = call("POST", "/api/auth/token", 200, json={"username": "siti", "password": "kata-sandi-1"})
    call("GET", "/api/me", 200, headers={"Authorization": f"Bearer {signed['token']}"})
    call("POST", "/api/auth/password", 200, headers={"Authorization": f"Bearer {signed['token']}"},
         json={"current_password": "kata-sandi-1", "new_password": "kata-sandi-baru-1"})
    call("DELETE", "/api/auth/token", 200, headers={"Authorization": f"Bearer {signed['token']}"})
    call("GET", "/api/me", 401, headers={"Authorization": f"Bearer {signed['token']}"})
    call("GET", "/api/me", 200, headers=admin)

    call("GET", "/api/printers", 200, headers=admin)
    call("POST", f"/api/tickets/{tokens['first']}/reprint", 200, headers=clerk)
    call("POST", "/api/counters/L02/reprint", 200, headers=clerk, json={"number": "A-002", "printer": "p1"})
    call("POST", f"/api/tickets/{tokens['HALAL']}/reprint", 200, headers=clerk, json={"printer": "p1"})
    call("GET", "/api/printers", 200, headers=admin)

    for who in (manager, admin):
        call("GET", "/api/stats/summary", 200, headers=who)
        call("GET", "/api/stats/report", 200, headers=who)
        call("GET", "/api/stats/dashboard", 200, headers=who)
    month = clock.utcnow().strftime("%Y-%m")
    call("GET", f"/api/stats/report?month={month}", 200, headers=admin)  # a month's heat map folds onto weekdays
    call("GET", "/api/stats/summary?agency=DINKOPUKM", 200, headers=admin)
    call("GET", "/api/stats/dashboard?agency=DINKOPUKM", 200, headers=admin)
    call("GET", "/api/stats/export.csv", 200, headers=manager)
    call("GET", f"/api/stats/export.xlsx?month={month}", 200, headers=admin)

    call("GET", "/api/admin/users", 200, headers=admin)
    call("POST", "/api/admin/users", 201, headers=admin, json={
        "username": "budi", "role": "manager", "password": "kata-sandi-2", "full_name": "Budi", "agency": "DINKOPUKM"})
    call("POST", "/api/admin/users", 201, headers=admin, json={"username": "ani", "role": "clerk",
                                                                "password": "kata-sandi-3", "counters": ["L03"]})
    call("POST", "/api/admin/users/ani/disable", 200, headers=admin)
    call("POST", "/api/admin/users/ani/enable", 200, headers=admin)
    call("POST", "/api/admin/users/ani/password", 200, headers=admin, json={"password": "kata-sandi-4"})
    call("PUT", "/api/admin/users/ani/counters", 200, headers=admin, json={"counters": ["L01", "L03"]})
    call("GET", "/api/admin/services", 200, headers=admin)
    call("POST", "/api/admin/services/HALAL/close", 200, headers=admin, json={"reason": "Sistem gangguan"})
    call("GET", "/api/services", 200)  # a closed tile says why
    call("POST", "/api/admin/services/HALAL/open", 200, headers=admin)
    call("GET", "/api/admin/running-text", 200, headers=admin)
    call("PUT", "/api/admin/running-text", 200, headers=admin, json={"text": "Istirahat 12.00-13.00"})
    call("GET", "/api/display", 200)
    call("GET", "/api/admin/audit", 200, headers=admin)
    call("GET", "/api/admin/audit?limit=2&before=5", 200, headers=admin)
    # the building's calendar: a sudden closure a week ahead, and the displays' notices
    from queue_app.core.site import today

    with app.app_context():
        ahead = (today() + timedelta(days=7)).isoformat()
    call("GET", f"/api/admin/closures/{ahead}/affected", 200, headers=admin)
    call("POST", "/api/admin/closures", 201, headers=admin, json={"day": ahead, "reason": "Rapat kerja"})
    call("GET", "/api/admin/closures", 200, headers=admin)
    call("DELETE", f"/api/admin/closures/{ahead}", 200, headers=admin)
    call("PUT", "/api/admin/notices", 200, headers=admin, json={"notices": [{"title": "Info", "text": "Bawa KTP"}]})
    call("GET", "/api/admin/notices", 200, headers=admin)
    _remote(app, call, clerk)

    assert call.succeeded == documented_operations(app), "an operation this scenario does not reach: add it"


def test_errors_are_the_contracts_body_and_documented(app, staff):
    call = Checked(app)
    clerk = staff.headers("clerk1", "clerk", ["L01"])
    admin = staff.headers("admin1", "admin")
    manager = staff.headers("manager1", "manager", agency="DPMPTSP")
    call("POST", "/api/tickets", 401, json={"service": "HALAL"})  # neither a kiosk's key nor staff
    call("POST", "/api/tickets", 401, json={"service": "HALAL", "kiosk": "K1"}, headers={"X-Kiosk-Key": "wrong"})
    k1 = kiosk_headers(call.app, "K1")
    call("POST", "/api/tickets", 400, data="{not json", content_type="application/json", headers=k1)
    call("POST", "/api/tickets", 400, json=[1, 2], headers=k1)
    call("POST", "/api/tickets", 422, json={"service": 7, "kiosk": "K1"}, headers=k1)
    call("POST", "/api/tickets", 422, json={"kiosk": "K1"}, headers=k1)
    call("POST", "/api/tickets", 404, json={"service": "NOPE", "kiosk": "K1"}, headers=k1)
    call("POST", "/api/tickets", 413, data="{" + " " * 70_000 + "}", content_type="application/json", headers=k1)
    for _ in range(3):
        call("POST", "/api/tickets", 201, json={"service": "HALAL", "kiosk": "K1"}, headers=k1)
    refused = call("POST", "/api/tickets", 409, json={"service": "HALAL", "kiosk": "K1"}, headers=k1)  # the quota
    assert re.fullmatch(r"[a-z_]+", refused["error"]["code"])
    call("GET", "/api/tickets/nope", 404)
    call("GET", "/api/services?kiosk=NOPE", 404)
    call("GET", "/api/display?zone=nope", 404)
    call("POST", "/api/auth/token", 401, json={"username": "x", "password": "y"})
    call("POST", "/api/auth/token", 422, json={"username": "x"})
    call("GET", "/api/me", 401)
    call("GET", "/api/counters", 401)
    call("POST", "/api/counters/L02/call-next", 403, headers=clerk)
    call("POST", "/api/counters/NOPE/call-next", 404, headers=admin)
    call("POST", "/api/counters/L01/start", 409, headers=clerk)
    call("POST", "/api/counters/L01/call", 422, headers=clerk, json={"number": True})
    call("POST", "/api/counters/L01/recall", 422, headers={**clerk, "Idempotency-Key": "no spaces"})
    call("POST", "/api/counters/L01/call-next", 422, headers=clerk, json={"finish_current": "yes"})
    call("POST", "/api/counters/L01/transfer", 422, headers=clerk, json={"service": ""})
    call("GET", "/api/counters/L02/queue", 403, headers=clerk)
    call("GET", "/api/printers", 401)
    call("POST", "/api/tickets/nope/reprint", 404, headers=clerk)
    call("POST", "/api/tickets/nope/reprint", 422, headers=clerk, json={"printer": 5})
    call("GET", "/api/stats/summary", 403, headers=clerk)
    call("GET", "/api/stats/summary?from=2026-13-01", 422, headers=manager)
    call("GET", "/api/stats/report?agency=DINKOPUKM", 403, headers=manager)
    call("GET", "/api/stats/dashboard?agency=NOPE", 404, headers=admin)
    call("GET", "/api/stats/export.csv?month=2026-13", 422, headers=admin)
    call("POST", "/api/admin/users", 422, headers=admin, json={"username": "x", "role": "boss", "password": "12345678"})
    call("POST", "/api/admin/users", 422, headers=admin, json={"username": "x", "role": "clerk", "password": "short"})
    call("POST", "/api/admin/users/nobody/disable", 404, headers=admin)
    call("PUT", "/api/admin/users/clerk1/counters", 422, headers=admin, json={"counters": [1]})
    call("PUT", "/api/admin/users/clerk1/counters", 422, headers=admin, json={})
    call("POST", "/api/admin/services/HALAL/close", 422, headers=admin, json={"reason": ""})
    call("PUT", "/api/admin/running-text", 422, headers=admin, json={"text": "x" * 501})
    call("GET", "/api/admin/audit?limit=x", 422, headers=admin)
    assert call.errors == {400, 401, 403, 404, 409, 413, 422}
    # outside any operation: the unknown URL and the wrong method answer the same body
    for resp in (call.client.get("/api/nothing-here"), call.client.delete("/api/tickets")):
        TypeAdapter(Error).validate_json(resp.data, strict=True)


def test_health_answers_its_declared_body_when_the_database_is_gone(app, monkeypatch):
    call = Checked(app)

    def down(*_a: Any, **_kw: Any):
        raise DBAPIError("SELECT 1", {}, ConnectionError("gone"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", down)
        body = call("GET", "/api/health", 503)
    assert body["error"]["code"] == "database_unavailable" and body["status"] == "degraded"
