"""Complaints (pengaduan): received from anyone, routed to the service's agency, answered within working days of
the site's calendar, followed by the visitor on a link, counted for the evaluation, and their contact details kept
only as long as the privacy rules allow.

The calendar below has a five-day week and Christmas (Friday 25 December 2026) as a holiday; every deadline and
figure is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from queue_app.complaints import operations as complaints
from queue_app.complaints import signals
from queue_app.core import clock
from queue_app.core.extensions import db

from ..helpers import TEST_SITE, make_site, take_ticket

pytestmark = pytest.mark.both_databases

JAKARTA = ZoneInfo("Asia/Jakarta")
CALENDAR_SITE = TEST_SITE.replace("[display]", '''[site.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-11:30,13:00-15:00"

[[holidays]]
date = "2026-12-25"
name = "Hari Raya Natal"

[complaints]
respond_within_days = 5

[display]''')


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, CALENDAR_SITE)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """The clock stands still between travels, so every time below is exact to the second."""
    base = datetime(2026, 12, 1, tzinfo=JAKARTA)
    monkeypatch.setattr(clock, "utcnow", lambda: base + clock._offset)
    yield
    clock.reset()


def travel_to(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> None:
    clock.travel(datetime(year, month, day, hour, minute, tzinfo=JAKARTA) - clock.utcnow())


def complain(client, **body):
    return client.post("/api/complaints", json={"text": "Antrean terlalu lama", **body})


# --- receiving ------------------------------------------------------------------------------------------


def test_a_complaint_gets_a_reference_a_token_and_a_deadline_in_working_days(app, client):
    travel_to(2026, 12, 21)  # Monday
    first = complain(client, service="PERIZINAN")
    assert first.status_code == 201, first.text
    body = first.json
    assert body["status"] == "received"
    assert body["reference"] == "ADU-2612-0001"
    # 192 random bits, URL-safe; never derived from the reference
    assert len(body["token"]) >= 22 and "2612" not in body["token"]
    assert body["received_at"] == "2026-12-21T10:00:00+07:00"
    # five working days after Monday 21: Tue 22, Wed 23, Thu 24, (Fri 25 Christmas, Sat, Sun), Mon 28, Tue 29
    assert body["respond_by"] == "2026-12-29"
    assert body["track_url"] == f"http://mpp.test/pengaduan/{body['token']}"
    second = complain(client).json
    assert second["reference"] == "ADU-2612-0002" and second["token"] != body["token"]
    # received after hours on a Friday: the count starts on the next working day, and a closure an admin adds
    # is not a working day either
    travel_to(2026, 12, 18, 16)
    admin = _admin(app)
    assert client.post("/api/admin/closures", json={"day": "2026-12-28", "reason": "Rapat kerja"},
                       headers=admin).status_code == 201
    friday = complain(client).json
    # Mon 21, Tue 22, Wed 23, Thu 24, (25 holiday, 26-27 weekend, 28 closed), Tue 29
    assert friday["respond_by"] == "2026-12-29"
    travel_to(2027, 1, 4)
    assert complain(client).json["reference"] == "ADU-2701-0001"  # numbers restart each month


def _admin(app) -> dict:
    from ..helpers import Staff

    return Staff(app).headers("admin1", "admin")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"text": ""}, 422, "validation_failed"),
    ({"text": "   \n "}, 422, "validation_failed"),
    ({"text": "x" * 4001}, 422, "validation_failed"),
    ({"text": 5}, 422, "validation_failed"),
    ({}, 422, "validation_failed"),
    ({"text": "Lama", "phone": "12345"}, 422, "invalid_phone"),
    ({"text": "Lama", "phone": "0812"}, 422, "invalid_phone"),
    ({"text": "Lama", "email": "bukan-email"}, 422, "validation_failed"),
    ({"text": "Lama", "name": "N" * 101}, 422, "validation_failed"),
    ({"text": "Lama", "service": "NOPE"}, 404, "service_not_found"),
    ({"text": "Lama", "ticket": "no-such-token"}, 404, "ticket_not_found"),
])
def test_bad_complaints_are_refused_clearly(client, body, status, code):
    resp = client.post("/api/complaints", json=body)
    assert resp.status_code == status, resp.text
    assert resp.json["error"]["code"] == code


def test_a_phone_is_stored_as_digits_starting_62(app, client, admin):
    for raw in ("0812-3456-789", "+62 812 3456 789", "62812 3456789"):
        ref = complain(client, phone=raw).json["reference"]
        assert client.get(f"/api/complaints/{ref}/responses", headers=admin).json["phone"] == "628123456789"
    with app.app_context():
        with pytest.raises(Exception) as err:
            complaints.normalise_phone("0800")
        assert err.value.code == "invalid_phone"


def test_a_form_post_or_a_body_that_is_not_json_is_refused(client):
    assert client.post("/api/complaints", data="text=halo", content_type="application/x-www-form-urlencoded"
                       ).status_code == 415
    assert client.post("/api/complaints", data="{oops", content_type="application/json").status_code == 400


def test_complaints_from_one_address_are_limited(app, client):
    app.config["RATELIMIT_COMPLAINTS_PER_ADDRESS"] = 2
    assert complain(client).status_code == 201
    assert complain(client).status_code == 201
    refused = complain(client)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    other = app.test_client()
    assert other.post("/api/complaints", json={"text": "dari alamat lain"},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 201


# --- routing and who sees what ------------------------------------------------------------------------


@pytest.fixture
def four(app, client):
    """Four complaints of Monday 21 and Tuesday 22 December: PERIZINAN (DPMPTSP), HALAL from a ticket (DINKOPUKM),
    one naming no service, NONIZIN (DPMPTSP)."""
    travel_to(2026, 12, 21, 9)
    halal = take_ticket(client, "HALAL").json
    a = complain(client, service="PERIZINAN", name="Budi Santoso", phone="081234567890",
                 email="budi@example.com").json
    b = complain(client, ticket=halal["token"], text="Petugas tidak ramah").json
    c = complain(client, text="Toilet lantai 2 kotor").json
    travel_to(2026, 12, 22, 9)
    d = complain(client, service="NONIZIN").json
    return {"a": a, "b": b, "c": c, "d": d, "ticket": halal}


def test_each_complaint_goes_to_its_agency_and_managers_see_only_theirs(four, client, staff, admin, clerk):
    dpmptsp = staff.headers("m-dpm", "manager", agency="DPMPTSP")
    dinkop = staff.headers("m-kop", "manager", agency="DINKOPUKM")
    everyone = staff.headers("m-all", "manager")
    refs = lambda headers, q="": [c["reference"] for c in client.get(f"/api/complaints{q}", headers=headers).json]  # noqa: E731
    ordered = [four[k]["reference"] for k in "dcba"]  # newest first
    assert refs(admin) == ordered
    assert refs(everyone) == ordered
    assert refs(dpmptsp) == [four["d"]["reference"], four["a"]["reference"]]
    assert refs(dinkop) == [four["b"]["reference"]]
    assert refs(admin, "?agency=DINKOPUKM") == [four["b"]["reference"]]
    assert client.get("/api/complaints?agency=DINKOPUKM", headers=dpmptsp).status_code == 403
    assert client.get("/api/complaints", headers=clerk).status_code == 403
    assert client.get("/api/complaints").status_code == 401
    item = client.get("/api/complaints", headers=dinkop).json[0]
    assert item == {"reference": four["b"]["reference"], "service": "HALAL", "agency": "DINKOPUKM",
                    "status": "received", "received_at": "2026-12-21T09:00:00+07:00", "respond_by": "2026-12-29",
                    "overdue": False, "text": "Petugas tidak ramah", "lapor": None}
    detail = client.get(f"/api/complaints/{four['b']['reference']}/responses", headers=dinkop).json
    assert detail["ticket"] == four["ticket"]["number"] and detail["name"] is None
    assert client.get(f"/api/complaints/{four['b']['reference']}/responses", headers=dpmptsp).status_code == 403
    assert client.get(f"/api/complaints/{four['c']['reference']}/responses", headers=dpmptsp).status_code == 403
    assert client.get(f"/api/complaints/{four['c']['reference']}/responses", headers=admin).json["agency"] is None
    assert client.get("/api/complaints/ADU-2612-9999/responses", headers=admin).status_code == 404
    for q in ("?status=open", "?overdue=yes", "?limit=0", "?limit=x"):
        assert client.get(f"/api/complaints{q}", headers=admin).status_code == 422


def test_a_manager_answers_and_the_visitor_sees_it_without_who_answered(four, client, staff, admin):
    dpmptsp = staff.headers("m-dpm", "manager", agency="DPMPTSP")
    ref, token = four["a"]["reference"], four["a"]["token"]
    assert client.post(f"/api/complaints/{four['b']['reference']}/responses", json={"text": "Bukan kami"},
                       headers=dpmptsp).status_code == 403
    for body in ({"text": ""}, {"text": "ok", "status": "done"}, {"text": "ok", "lapor": "LAP 1!"}):
        assert client.post(f"/api/complaints/{ref}/responses", json=body, headers=dpmptsp).status_code == 422
    travel_to(2026, 12, 22, 11)
    first = client.post(f"/api/complaints/{ref}/responses", headers=dpmptsp,
                        json={"text": "Kami tambah petugas pada jam sibuk.", "lapor": "LAP-2612345"})
    assert first.status_code == 201, first.text
    assert first.json["status"] == "in_progress" and first.json["lapor"] == "LAP-2612345"
    assert first.json["responses"][0]["by"] == "m-dpm"
    travel_to(2026, 12, 23, 9)
    dpmptsp = staff.headers("m-dpm", "manager")  # a bearer token lasts hours: a new one each travelled day
    done = client.post(f"/api/complaints/{ref}/responses", headers=dpmptsp,
                       json={"text": "Sudah kami selesaikan.", "status": "resolved"}).json
    assert done["status"] == "resolved" and done["resolved_at"] == "2026-12-23T09:00:00+07:00"
    seen = client.get(f"/api/complaints/{token}").json
    assert seen["status"] == "resolved" and seen["lapor"] == "LAP-2612345"
    assert seen["responses"] == [{"at": "2026-12-22T11:00:00+07:00", "text": "Kami tambah petugas pada jam sibuk."},
                                 {"at": "2026-12-23T09:00:00+07:00", "text": "Sudah kami selesaikan."}]
    # nothing personal on the visitor's link: not the name, phone or email given, nor who answered
    text = client.get(f"/api/complaints/{token}").get_data(as_text=True)
    for secret in ("Budi", "6281234567890", "budi@example.com", "m-dpm"):
        assert secret not in text
    page = client.get(f"/pengaduan/{token}").get_data(as_text=True)
    assert "Sudah kami selesaikan." in page and "LAP-2612345" in page
    for secret in ("Budi", "6281234567890", "budi@example.com", "m-dpm"):
        assert secret not in page
    # a note on a resolved complaint keeps it resolved (and its first resolution time); in_progress reopens it
    travel_to(2026, 12, 24, 9)
    admin = staff.headers("admin1", "admin")
    note = client.post(f"/api/complaints/{ref}/responses", headers=admin, json={"text": "Catatan"}).json
    assert note["status"] == "resolved" and note["resolved_at"] == "2026-12-23T09:00:00+07:00"
    reopened = client.post(f"/api/complaints/{ref}/responses", headers=admin,
                           json={"text": "Dibuka lagi", "status": "in_progress"}).json
    assert reopened["status"] == "in_progress" and reopened["resolved_at"] is None
    assert client.get("/api/complaints/not-a-token").status_code == 404
    assert client.get("/pengaduan/not-a-token").status_code == 404


def test_the_figures_and_overdue_marks_worked_out_by_hand(four, client, staff):
    a, b, c, d = (four[k]["reference"] for k in "abcd")
    # deadlines: a, b, c received Mon 21 -> Tue 29; d received Tue 22 -> 23, 24, 28, 29, Wed 30
    assert four["d"]["respond_by"] == "2026-12-30"

    def answer(ref: str, **body) -> None:  # a new token each travelled day: a bearer token lasts hours
        resp = client.post(f"/api/complaints/{ref}/responses", headers=staff.headers("admin1", "admin"), json=body)
        assert resp.status_code == 201, resp.text

    travel_to(2026, 12, 22, 10)
    answer(b, text="Kami periksa.")
    travel_to(2026, 12, 23, 10)
    answer(a, text="Selesai.", status="resolved")
    travel_to(2026, 12, 30, 10)
    answer(b, text="Selesai.", status="resolved")
    admin = staff.headers("admin1", "admin")
    dpmptsp = staff.headers("m-dpm", "manager", agency="DPMPTSP")
    # Wed 30: c is past its deadline (29) and not resolved; d's deadline is today, not past
    overdue = client.get("/api/complaints?overdue=true", headers=admin).json
    assert [x["reference"] for x in overdue] == [c] and overdue[0]["overdue"] is True
    assert [x["reference"] for x in client.get("/api/complaints?overdue=false", headers=admin).json] == [d, b, a]
    assert [x["reference"] for x in client.get("/api/complaints?status=resolved", headers=admin).json] == [b, a]
    figures = client.get("/api/stats/complaints?from=2026-12-21&to=2026-12-22", headers=admin).json
    # received 4; resolved a (23, in time) and b (30, after 29: late) -> 1 of 2 in time = 50 %;
    # answered a (23) and b (22), both first answered by 29 -> 100 %; overdue: c
    assert figures == {
        "from": "2026-12-21", "to": "2026-12-22", "received": 4, "resolved": 2, "resolved_on_time_pct": 50.0,
        "overdue": 1, "in_progress": 0, "answered": 2, "answered_on_time_pct": 100.0,
        "by_agency": [{"agency": "DINKOPUKM", "received": 1, "resolved": 1, "overdue": 0},
                      {"agency": "DPMPTSP", "received": 2, "resolved": 1, "overdue": 0},
                      {"agency": None, "received": 1, "resolved": 0, "overdue": 1}],
    }
    mine = client.get("/api/stats/complaints?from=2026-12-21&to=2026-12-22", headers=dpmptsp).json
    assert (mine["received"], mine["resolved"], mine["overdue"], mine["resolved_on_time_pct"]) == (2, 1, 0, 100.0)
    assert client.get("/api/stats/complaints?from=2026-12-23&to=2026-12-22", headers=admin).status_code == 422
    empty = client.get("/api/stats/complaints?from=2026-11-01&to=2026-11-30", headers=admin).json
    assert empty["received"] == 0 and empty["resolved_on_time_pct"] is None and empty["by_agency"] == []


def test_signals_tell_notices_the_phone_the_link_and_the_language(four, app, client, admin):
    heard = []

    def on_answered(sender, **kw):
        heard.append(("answered", sender.reference, kw["status"], kw["phone"], kw["lang"], kw["track_url"],
                      kw["response"].text))

    def on_received(sender, **kw):
        heard.append(("received", sender.reference, kw["phone"], kw["lang"]))

    signals.complaint_answered.connect(on_answered)
    signals.complaint_received.connect(on_received)
    try:
        new = client.post("/api/complaints?lang=en", json={"text": "Too slow", "phone": "0811 2233 445"}).json
        client.post(f"/api/complaints/{new['reference']}/responses", headers=admin,
                    json={"text": "We are on it.", "status": "in_progress"})
    finally:
        signals.complaint_answered.disconnect(on_answered)
        signals.complaint_received.disconnect(on_received)
    assert heard == [("received", new["reference"], "628112233445", "en"),
                     ("answered", new["reference"], "in_progress", "628112233445", "en", new["track_url"],
                      "We are on it.")]


def test_contact_details_can_be_erased_by_phone_and_by_age(four, app, client, staff):
    a = four["a"]["reference"]
    with app.app_context():
        # a was received on the 21st with a contact; nothing else has one
        assert [c.reference for c in complaints.contacts_older_than(date(2026, 12, 22))] == [a]
        assert complaints.contacts_older_than(date(2026, 12, 21)) == []
        exported = complaints.contact_export("0812-3456-7890")
        assert exported[0]["name"] == "Budi Santoso" and exported[0]["reference"] == a
    travel_to(2026, 12, 28)
    admin = staff.headers("admin1", "admin")
    client.post(f"/api/complaints/{a}/responses", headers=admin, json={"text": "Kami hubungi Anda."})
    with app.app_context():
        # answering needed the contact again: it is kept from that day
        assert complaints.contacts_older_than(date(2026, 12, 28)) == []
        assert complaints.erase_contact("+62 812 3456 7890") == 1
        db.session.commit()
    detail = client.get(f"/api/complaints/{a}/responses", headers=admin).json
    assert (detail["name"], detail["phone"], detail["email"]) == (None, None, None)
    assert detail["text"] == "Antrean terlalu lama"  # the complaint itself stays
    fresh = complain(client, name="Siti", phone="08561112222").json["reference"]
    with app.app_context():
        assert complaints.erase_contacts_older_than(date(2026, 12, 29)) == 1
        db.session.commit()
    assert client.get(f"/api/complaints/{fresh}/responses", headers=admin).json["name"] is None


def test_the_inbox_page_is_scoped_and_marks_the_overdue(four, app, client, staff):
    from ..helpers import login

    staff.user("kop", "manager", agency="DINKOPUKM")
    staff.user("clerkx", "clerk", ["L01"])
    travel_to(2026, 12, 30)
    login(client, "kop")
    page = client.get("/dashboard/complaints").get_data(as_text=True)
    assert four["b"]["reference"] in page and four["a"]["reference"] not in page
    assert "Petugas tidak ramah" in page and 'class="card cmp overdue"' in page  # b's deadline (29) has passed
    assert client.get("/dashboard/complaints?status=resolved").get_data(as_text=True).count("<details") == 0
    assert client.get("/dashboard/complaints?status=nope").status_code == 422
    live = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="complaints-card"' in live
    other = app.test_client()
    login(other, "clerkx")
    assert other.get("/dashboard/complaints").status_code == 403


def test_a_complaints_link_never_reaches_a_log_line(client):
    from queue_app.core.errors import redact

    token = complain(client).json["token"]
    for path in (f"/pengaduan/{token}", f"/api/complaints/{token}", f"GET /pengaduan/{token}?lang=en HTTP/1.1"):
        assert token not in redact(path)
    page = client.get(f"/pengaduan/{token}")
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
