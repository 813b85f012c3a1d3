"""Online booking: slots and places, the booking's life (cancel, expiry, check-in), its errors, and the queue time."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from queue_app.booking import operations as booking_ops
from queue_app.booking.models import Booking, BookingEvent, BookingSlot
from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.queue import operations
from queue_app.queue.estimate import ahead_of
from tests.helpers import TEST_SITE, built_app, kiosk_headers, make_site, take_ticket

pytestmark = pytest.mark.both_databases

BOOKING_SITE = TEST_SITE.replace('[display]', '''[site.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-11:30,13:00-15:00"
sat = ""
sun = ""

[display]''', 1).replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 4
days_ahead = 7
checkin_early_minutes = 60
checkin_late_minutes = 15
''', 1).replace('''target_wait_minutes = 10
''', '''target_wait_minutes = 10
daily_quota = 6

[services.booking]
slot_minutes = 60
per_slot = 4
walk_in_share = 0.5
ask_phone = true
''', 1) + '''
[[holidays]]
date = "2026-12-09"
name = "Pilkada Serentak"
'''
MON = date(2026, 12, 7)
FRI = date(2026, 12, 11)
SAT = date(2026, 12, 12)
TZ = ZoneInfo("Asia/Jakarta")
CODE_RE = re.compile(r"^[A-Z2-9]{6,}$")


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hh, minute=mm)


def travel_to(moment: datetime) -> None:
    clock.reset()
    clock.travel(moment - clock.utcnow())


@pytest.fixture
def bapp(tmp_path, db_url):
    with built_app(make_site(tmp_path, BOOKING_SITE), db_url) as app:
        yield app
    clock.reset()


@pytest.fixture
def client(bapp):
    return bapp.test_client()


def slots(client, day: date, service: str = "PERIZINAN"):
    resp = client.get(f"/api/booking/slots?service={service}&date={day.isoformat()}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def book(client, start: str = "09:00", day: date = MON, **kw):
    return client.post("/api/bookings", json={"service": "PERIZINAN", "date": day.isoformat(), "start": start, **kw})


def error(resp) -> str:
    return resp.get_json()["error"]["code"]


def test_slots_follow_the_day_windows_and_leave_out_ended_ones(client):
    travel_to(at(MON, 7))
    day = slots(client, MON)
    assert len(day) == 14  # 08:00-15:00 in half hours
    assert day[0] == {"start": "08:00", "end": "08:30", "capacity": 4, "available": 4}
    assert day[-1]["start"] == "14:30" and day[-1]["end"] == "15:00"
    # Friday's prayer break: the afternoon's slots start at its own opening
    starts = [s["start"] for s in slots(client, FRI)]
    assert "11:00" in starts and "11:30" not in starts and "12:30" not in starts and starts[starts.index("11:00") + 1] == "13:00"
    travel_to(at(MON, 9, 10))
    assert slots(client, MON)[0]["start"] == "09:00"  # 08:00 and 08:30 ended; 09:00 is still going


def test_slot_errors(client):
    travel_to(at(MON, 7))
    assert error(client.get(f"/api/booking/slots?service=HALAL&date={MON}")) == "booking_not_offered"
    assert client.get(f"/api/booking/slots?service=HALAL&date={MON}").status_code == 409
    assert client.get(f"/api/booking/slots?service=NOPE&date={MON}").status_code == 404
    for day in (MON - timedelta(days=1), MON + timedelta(days=7), SAT, date(2026, 12, 9)):
        resp = client.get(f"/api/booking/slots?service=PERIZINAN&date={day}")
        assert (resp.status_code, error(resp)) == (422, "date_not_bookable"), day
    assert "Pilkada" in client.get("/api/booking/slots?service=PERIZINAN&date=2026-12-09").get_json()["error"]["message"]
    assert client.get("/api/booking/slots?service=PERIZINAN&date=2026-13-01").status_code == 422
    assert client.get("/api/booking/slots?service=PERIZINAN").status_code == 422
    # the last bookable day is today + days_ahead - 1 (a Sunday here, so closed; Friday is open)
    assert error(client.get(f"/api/booking/slots?service=PERIZINAN&date={MON + timedelta(days=6)}")) \
        == "date_not_bookable"
    assert len(slots(client, MON + timedelta(days=4))) == 11  # 08:00-11:30 and 13:00-15:00


def test_book_fill_a_slot_cancel_frees_the_place(client):
    travel_to(at(MON, 7))
    first = book(client)
    assert first.status_code == 201
    body = first.get_json()
    assert CODE_RE.match(body["code"]) and len(body["token"]) >= 22
    assert body["status"] == "booked" and (body["start"], body["end"], body["date"]) == ("09:00", "09:30", "2026-12-07")
    assert body["manage_url"].startswith("http://mpp.test/") and body["token"] in body["manage_url"]
    for _ in range(3):
        assert book(client).status_code == 201
    full = book(client)
    assert (full.status_code, error(full)) == (409, "slot_full")
    assert full.get_json()["error"]["next_free"] == ["08:00", "08:30", "09:30"]  # what the page offers instead
    by_start = {s["start"]: s for s in slots(client, MON)}
    assert by_start["09:00"]["available"] == 0 and by_start["09:30"]["available"] == 4

    cancelled = client.delete(f"/api/bookings/{body['token']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.delete(f"/api/bookings/{body['token']}").status_code == 200  # a repeat is harmless
    assert {s["start"]: s for s in slots(client, MON)}["09:00"]["available"] == 1
    assert book(client).status_code == 201
    view = client.get(f"/api/bookings/{body['token']}").get_json()
    assert view["status"] == "cancelled" and view["ticket"] is None
    assert client.get("/api/bookings/not-a-token").status_code == 404
    assert client.delete("/api/bookings/not-a-token").status_code == 404
    assert error(book(client, "09:10")) == "slot_not_found"
    assert error(book(client, "09:00", day=SAT)) == "date_not_bookable"


def test_a_new_code_that_is_already_given_is_drawn_again(client, monkeypatch):
    """The code's uniqueness is read with the slots, in one statement: a drawn code another booking has is
    never given twice (drawn again, checked again)."""
    from queue_app.booking import operations
    from queue_app.core import codes

    travel_to(at(MON, 7))
    first = book(client).get_json()["code"]
    drawn = iter([first, first, "ABCDEFGH"])
    monkeypatch.setattr(operations, "random_code", lambda: next(drawn))
    monkeypatch.setattr(codes, "random_code", lambda: next(drawn))
    second = book(client)
    assert second.status_code == 201 and second.get_json()["code"] == "ABCDEFGH"


def test_one_active_booking_per_phone_and_the_walk_in_share(client):
    travel_to(at(MON, 7))

    def nonizin(start: str, phone: str | None):
        body = {"service": "NONIZIN", "date": MON.isoformat(), "start": start}
        if phone:
            body["phone"] = phone
        return client.post("/api/bookings", json=body)

    assert error(nonizin("09:00", None)) == "validation_failed"  # the site asks for a phone here
    assert error(nonizin("09:00", "12ab")) == "invalid_phone"  # queue_app/core/phones.py, as every number
    first = nonizin("09:00", "0812-3456-7890")
    assert first.status_code == 201
    again = nonizin("10:00", "+62 812 3456 7890")  # the same number, written another way, from here
    assert (again.status_code, error(again)) == (429, "rate_limited")  # a limit like any other: confirms nothing
    assert nonizin("10:00", "081200000002").status_code == 201
    # a quota of 6 with half kept for walk-ins: 3 bookings that day, whatever the slots' places
    assert nonizin("11:00", "081200000003").status_code == 201
    refused = nonizin("11:00", "081200000004")
    assert (refused.status_code, error(refused)) == (409, "slot_full")
    assert all(s["available"] == 0 for s in slots(client, MON, "NONIZIN"))
    client.delete(f"/api/bookings/{first.get_json()['token']}")
    assert nonizin("12:00", "0812-3456-7890").status_code == 201  # free again, for the same phone too


def test_check_in_issues_a_numbered_ticket_once(bapp, client, staff):
    travel_to(at(MON, 7))
    code = book(client, "09:00").get_json()["code"]
    token = book(client, "09:00").get_json()["token"]
    other_code = book(client, "10:00", day=MON + timedelta(days=1)).get_json()["code"]
    travel_to(at(MON, 7, 59))
    resp = client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    assert (resp.status_code, error(resp)) == (409, "too_early")
    travel_to(at(MON, 8, 5))
    assert error(client.post(f"/api/bookings/{other_code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))) == "not_today"
    assert client.post("/api/bookings/ZZZZZZZZ/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1")).status_code == 404
    anonymous = client.post(f"/api/bookings/{code}/check-in", json={})
    assert (anonymous.status_code, error(anonymous)) == (401, "kiosk_required")
    walk_in = take_ticket(client).get_json()
    assert walk_in["number"] == "A-001"

    resp = client.post(f"/api/bookings/{code.lower()}/check-in", json={"kiosk": "K2"}, headers=kiosk_headers(client.application, "K2"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["booking"] == code and body["number"] == "A-002" and body["status"] == "waiting"
    assert body["track_url"].endswith(body["token"]) and body["print"]["status"] in ("printed", "queued")
    with bapp.app_context():  # the slip says it is a booking, and for when
        from printers.profiles import paper_for
        from printers.render import layout
        from queue_app.queue.operations import get_ticket_by_token

        slip = bapp.extensions["printing"].slip_for(get_ticket_by_token(body["token"]))
        assert slip.booked_slot == "09:00"
        assert "RESERVASI 09:00" in [getattr(b, "text", None) for b in layout(slip, paper_for("TM-T82II"))]
    repeat = client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    assert repeat.status_code == 200 and repeat.get_json()["number"] == "A-002"
    view = client.get(f"/api/bookings/{book_token(bapp, code)}").get_json()
    assert view["status"] == "checked_in" and view["ticket"]["number"] == "A-002"

    # a clerk at the information desk checks a visitor in by code, with a bearer token
    headers = staff.headers("desk", "clerk", counters=["L01"])
    second = client.get(f"/api/bookings/{token}").get_json()["code"]
    by_staff = client.post(f"/api/bookings/{second}/check-in", headers=headers)
    assert by_staff.status_code == 201 and by_staff.get_json()["number"] == "A-003"

    closed_code = book(client, "10:00").get_json()
    client.delete(f"/api/bookings/{closed_code['token']}")
    resp = client.post(f"/api/bookings/{closed_code['code']}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    assert (resp.status_code, error(resp)) == (409, "booking_closed")
    late = book(client, "08:30").get_json()["code"]
    travel_to(at(MON, 9, 16))  # 08:30-09:00 plus 15 minutes
    resp = client.post(f"/api/bookings/{late}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    assert (resp.status_code, error(resp)) == (409, "too_late")


def book_token(app, code: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Booking.token).where(Booking.code == code))


def test_early_booking_waits_for_its_slot_then_goes_ahead_of_later_walk_ins(bapp, client):
    travel_to(at(MON, 7))
    code = book(client, "09:00").get_json()["code"]
    travel_to(at(MON, 8, 20))
    before = take_ticket(client).get_json()["number"]
    travel_to(at(MON, 8, 30))
    booked = client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1")).get_json()
    assert booked["ahead"] == 1
    travel_to(at(MON, 8, 45))
    # came after the booking checked in, but before its slot started: still ahead of it
    walk_in_before_slot = take_ticket(client).get_json()
    assert walk_in_before_slot["ahead"] == 1
    travel_to(at(MON, 9, 5))
    after = take_ticket(client).get_json()
    assert after["ahead"] == 3
    assert client.get(f"/api/tickets/{booked['token']}").get_json()["ahead"] == 2

    with bapp.app_context():
        from queue_app.core.lookups import get_counter
        from queue_app.queue.panel import waiting_for

        listing, total = waiting_for(get_counter("L01"))
        assert [row["number"] for row in listing] == [before, walk_in_before_slot["number"], booked["number"],
                                                      after["number"]]
        assert [row["booked_slot"] for row in listing] == [None, None, "09:00", None]
        order = []
        for _ in range(4):
            ticket = operations.call_next("L01", actor=None, finish_current=True)
            order.append(ticket.number)
            db.session.commit()
        assert order == [before, walk_in_before_slot["number"], booked["number"], after["number"]]


def test_ahead_of_counts_by_queue_time(bapp, client):
    travel_to(at(MON, 7))
    code = book(client, "10:00").get_json()["code"]
    travel_to(at(MON, 9, 0))
    client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    travel_to(at(MON, 9, 30))
    walk = take_ticket(client).get_json()
    with bapp.app_context():
        from queue_app.queue.models import Ticket

        booked = db.session.scalar(sa.select(Ticket).where(Ticket.booked_slot_at.is_not(None)))
        assert booked.queue_at == at(MON, 10) and ahead_of(booked) == 1
        assert walk["ahead"] == 0


def test_expiry_closes_unused_bookings_with_an_event(bapp, client):
    travel_to(at(MON, 7))
    token = book(client, "08:00").get_json()["token"]
    kept = book(client, "08:30").get_json()["token"]
    with bapp.app_context():
        travel_to(at(MON, 8, 44))  # 08:30 + 15 minutes not passed yet
        assert booking_ops.expire_bookings() == 0
        db.session.commit()
        travel_to(at(MON, 8, 46))
        assert booking_ops.expire_bookings() == 1
        db.session.commit()
        assert booking_ops.expire_bookings() == 0  # once
        db.session.commit()
        events = db.session.scalars(sa.select(BookingEvent.kind).order_by(BookingEvent.id)).all()
        assert [e.value for e in events] == ["booked", "booked", "expired"]
    assert client.get(f"/api/bookings/{token}").get_json()["status"] == "expired"
    assert client.get(f"/api/bookings/{kept}").get_json()["status"] == "booked"
    code = client.get(f"/api/bookings/{token}").get_json()["code"]
    resp = client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1"))
    assert (resp.status_code, error(resp)) == (409, "booking_closed")
    assert client.delete(f"/api/bookings/{token}").status_code == 409


def test_sixty_concurrent_requests_for_four_places_give_four_bookings(bapp):
    travel_to(at(MON, 7))
    barrier = threading.Barrier(60)
    results: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = bapp.test_client()
        barrier.wait()
        resp = book(client, "10:00")
        with lock:
            results.append(resp.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(results)) == [201, 409] and results.count(201) == 4 and len(results) == 60
    with bapp.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 4
        assert db.session.scalar(sa.select(BookingSlot.taken).where(BookingSlot.start == "10:00")) == 4


def test_rate_limits_answer_429(bapp, client):
    from queue_app.core.limits import limiter

    travel_to(at(MON, 7))
    bapp.config.update(RATELIMIT_BOOKINGS=True, RATELIMIT_BOOKINGS_PER_ADDRESS=3, RATELIMIT_BOOKINGS_PER_PHONE=2)
    limiter.reset()
    try:
        assert book(client, "09:00", phone="081211112222").status_code == 201
        assert error(book(client, "09:30", phone="081211112222")) == "rate_limited"  # one per phone (and network)
        limited = book(client, "10:00", phone="081211112222")
        assert (limited.status_code, error(limited)) == (429, "rate_limited")
        limiter.reset()
        for _ in range(3):  # attempts count whatever their outcome (the shares of a day: test_booking_limits.py)
            assert error(book(client, "11:05")) == "slot_not_found"
        assert book(client, "11:30").status_code == 429
        bapp.config["RATELIMIT_BOOKINGS"] = False  # MPP_QUEUE_RATELIMIT_BOOKINGS=0
        assert book(client, "11:30").status_code == 201
    finally:
        limiter.reset()


def test_report_counts_bookings_by_day_with_the_no_show_rate(bapp, client, staff):
    travel_to(at(MON, 7))
    expired = book(client, "08:00").get_json()
    came = book(client, "08:00").get_json()
    cancelled = book(client, "09:00").get_json()
    book(client, "14:00")
    client.delete(f"/api/bookings/{cancelled['token']}")
    travel_to(at(MON, 8, 10))
    assert client.post(f"/api/bookings/{came['code']}/check-in", json={"kiosk": "K1"}, headers=kiosk_headers(client.application, "K1")).status_code == 201
    travel_to(at(MON, 9))
    with bapp.app_context():
        booking_ops.expire_bookings()
        db.session.commit()
    assert client.get(f"/api/bookings/{expired['token']}").get_json()["status"] == "expired"
    headers = staff.headers("boss", "manager")
    resp = client.get(f"/api/stats/bookings?from={MON}&to={MON}", headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["days"] == [{"service": "PERIZINAN", "date": MON.isoformat(), "made": 4, "checked_in": 1,
                             "expired": 1, "cancelled": 1, "open": 1, "no_show_rate": 0.5}]
    assert body["total"]["made"] == 4
    assert client.get("/api/stats/bookings").status_code == 401
    assert client.get("/api/stats/bookings", headers=staff.headers("clerk1", "clerk")).status_code == 403


class _Refusing:
    """A printer that is not there: its error names where it was looked for, as a network printer's does."""

    last_state = None

    def print_slip(self, slip):  # noqa: ANN001
        from printers import PrintError

        raise PrintError("offline", "connect to 10.0.7.21:9100 refused")

    def close(self):
        pass


def test_a_kiosk_check_in_with_a_failing_printer_hides_the_printers_address(bapp, client, staff):
    """Check-in prints through the one issue use case: a kiosk reads a generic reason, staff the printer's own;
    the slip carries the place and estimate the screen shows."""
    travel_to(at(MON, 7))
    take_ticket(client)
    first, second = (book(client, "09:00").get_json()["code"] for _ in range(2))
    travel_to(at(MON, 8, 5))
    printing = bapp.extensions["printing"]
    printing.overrides["p1"] = _Refusing()
    printed = []
    real_slip = printing.slip_for
    printing.slip_for = lambda ticket, place=None: printed.append(real_slip(ticket, place)) or printed[-1]
    resp = client.post(f"/api/bookings/{first}/check-in", json={"kiosk": "K2"},
                       headers=kiosk_headers(bapp, "K2"))
    body = resp.get_json()
    assert resp.status_code == 201 and body["print"]["status"] == "failed"
    assert "10.0.7.21" not in body["print"]["error"] and "9100" not in body["print"]["error"]
    assert (printed[0].ahead, printed[0].estimated_wait_seconds) == (body["ahead"], body["estimated_wait_seconds"])
    by_staff = client.post(f"/api/bookings/{second}/check-in", json={"kiosk": "K2"},
                           headers=staff.headers("desk", "clerk", counters=["L01"]))
    assert "10.0.7.21:9100" in by_staff.get_json()["print"]["error"]


def test_the_csv_export_names_the_booking_of_a_booked_ticket(bapp, client, staff):
    import csv
    import io

    travel_to(at(MON, 7))
    code = book(client, "09:00").get_json()["code"]
    travel_to(at(MON, 8, 30))
    walk_in = take_ticket(client).get_json()["number"]
    booked = client.post(f"/api/bookings/{code}/check-in", json={"kiosk": "K1"},
                         headers=kiosk_headers(client.application, "K1")).get_json()["number"]
    text = client.get(f"/api/stats/export.csv?from={MON}&to={MON}", headers=staff.headers("boss", "manager"))
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(text.get_data(True)))}
    assert rows[booked]["booking"] == code
    assert rows[walk_in]["booking"] == ""


def test_the_manage_page_writes_the_day_as_the_confirmation_does(client):
    travel_to(at(MON, 7))
    booking = book(client, "09:00").get_json()
    page = client.get(f"/booking/manage/{booking['token']}").get_data(True)
    assert "Perizinan Berusaha · Senin, 7 Desember · 09:00–09:30" in page and "2026-12-07" not in page
    page = client.get(f"/booking/manage/{booking['token']}?lang=en").get_data(True)
    assert "Monday 7 December · 09:00–09:30" in page


# --- a day the office closes -----------------------------------------------------------------------


def test_closing_a_day_cancels_its_bookings_for_the_office_with_the_reason(bapp, client):
    """Issue 34: an admin closed a day that had bookings, and the visitor's page still said "Terpesan"."""
    from queue_app.booking.signals import bookings_closed

    from ..helpers import Staff

    admin = Staff(bapp).headers("admin1", "admin")
    tue = MON + timedelta(days=1)
    travel_to(at(MON, 7))
    first, second = book(client, "09:00", day=tue).get_json(), book(client, "10:00", day=tue).get_json()
    gone = book(client, "11:00", day=tue).get_json()
    other_day = book(client, "09:00", day=tue + timedelta(days=2)).get_json()  # Thursday (Wednesday: a holiday)
    assert client.delete(f"/api/bookings/{gone['token']}").status_code == 200  # the visitor cancelled this one
    # before confirming, the admin reads how many bookings the closure cancels
    impact = client.get(f"/api/admin/closures/{tue.isoformat()}/affected", headers=admin)
    assert impact.status_code == 200 and impact.get_json() == {"day": tue.isoformat(), "affected": {"bookings": 2}}
    assert client.get("/api/admin/closures/besok/affected", headers=admin).status_code == 422
    heard = []
    bookings_closed.connect(receiver := lambda day, **kw: heard.append((day, sorted(b.code for b in kw["bookings"]),
                                                                       kw["reason"])))
    try:
        made = client.post("/api/admin/closures", json={"day": tue.isoformat(), "reason": "Pemadaman listrik PLN"},
                           headers=admin)
    finally:
        bookings_closed.disconnect(receiver)
    assert made.status_code == 201 and made.get_json()["affected"] == {"bookings": 2}
    # the hook for a notices feature: the day, the bookings, the reason, in the closing transaction
    assert heard == [(tue, sorted([first["code"], second["code"]]), "Pemadaman listrik PLN")]
    view = client.get(f"/api/bookings/{first['token']}").get_json()
    assert view["status"] == "cancelled" and view["cancelled_by"] == "office"
    assert view["closed_reason"] == "Pemadaman listrik PLN"
    assert client.get(f"/api/bookings/{gone['token']}").get_json()["cancelled_by"] == "visitor"
    assert client.get(f"/api/bookings/{other_day['token']}").get_json()["status"] == "booked"
    page = client.get(f"/booking/manage/{first['token']}").get_data(True)
    assert 'id="bk-status">Dibatalkan oleh kantor<' in page
    assert "Kantor tutup pada hari itu: Pemadaman listrik PLN" in page and 'id="bk-cancel"' not in page
    page = client.get(f"/booking/manage/{first['token']}?lang=en").get_data(True)
    assert 'id="bk-status">Cancelled by the office<' in page
    assert "The office is closed that day: Pemadaman listrik PLN" in page
    with bapp.app_context():
        events = db.session.scalars(sa.select(BookingEvent).join(Booking).where(Booking.code == first["code"])
                                    .order_by(BookingEvent.id)).all()
        assert [(e.kind.value, e.details.get("by")) for e in events] == [("booked", None), ("cancelled", "office")]
    # on the day, the kiosk refuses it as closed
    travel_to(at(tue, 8, 50))
    resp = client.post(f"/api/bookings/{first['code']}/check-in", json={"kiosk": "K1"},
                       headers=kiosk_headers(bapp, "K1"))
    assert resp.status_code == 409
    # nothing is counted as a no-show once the day is over
    travel_to(at(tue + timedelta(days=1), 8))
    with bapp.app_context():
        booking_ops.expire_bookings()
        db.session.commit()
    assert client.get(f"/api/bookings/{first['token']}").get_json()["status"] == "cancelled"


def test_reopening_the_day_gives_the_bookings_back(bapp, client):
    from ..helpers import Staff

    admin = Staff(bapp).headers("admin1", "admin")
    tue = MON + timedelta(days=1)
    travel_to(at(MON, 7))
    mine = book(client, "09:00", day=tue).get_json()
    client.post("/api/admin/closures", json={"day": tue.isoformat(), "reason": "Rapat kerja"}, headers=admin)
    # the same day closed again with another reason: the visitor reads the new one
    again = client.post("/api/admin/closures", json={"day": tue.isoformat(), "reason": "Rapat kerja diundur"},
                        headers=admin)
    assert again.get_json()["affected"] == {"bookings": 0}
    assert client.get(f"/api/bookings/{mine['token']}").get_json()["closed_reason"] == "Rapat kerja diundur"
    reopened = client.delete(f"/api/admin/closures/{tue.isoformat()}", headers=admin)
    assert reopened.get_json() == {"day": tue.isoformat(), "closed": False, "affected": {"bookings": 1}}
    view = client.get(f"/api/bookings/{mine['token']}").get_json()
    assert (view["status"], view["cancelled_by"], view["closed_reason"]) == ("booked", None, None)
    assert 'id="bk-status">Terpesan<' in client.get(f"/booking/manage/{mine['token']}").get_data(True)
    # its place was kept: the slot still counts it
    assert next(s for s in slots(client, tue) if s["start"] == "09:00")["available"] == 3


def test_the_admins_closing_form_says_how_many_bookings_before_confirming(bapp, client):
    from ..helpers import Staff, login

    tue = MON + timedelta(days=1)
    travel_to(at(MON, 7))
    booked = [book(client, start, day=tue).get_json() for start in ("09:00", "09:30", "10:00")]
    Staff(bapp).user("boss", "admin")
    a = bapp.test_client()
    login(a, "boss")
    token = re.search(r'name="csrf_token" value="([^"]+)"', a.get("/admin/closures").text).group(1)
    form = {"day": tue.isoformat(), "reason": "Pemadaman listrik PLN", "csrf_token": token}
    page = a.post("/admin/closures", data=form).get_data(True)
    assert 'id="close-confirm" data-bookings="3"' in page
    assert "Pada Selasa, 8 Desember 2026 ada 3 reservasi online" in page
    assert "Tutup dan batalkan 3 reservasi" in page
    assert client.get(f"/api/bookings/{booked[0]['token']}").get_json()["status"] == "booked"  # not yet
    done = a.post("/admin/closures", data={**form, "confirm": "1"}, follow_redirects=True).get_data(True)
    assert "Hari ditutup. 3 reservasi dibatalkan oleh kantor." in done and f'data-day="{tue.isoformat()}"' in done
    assert all(client.get(f"/api/bookings/{b['token']}").get_json()["cancelled_by"] == "office" for b in booked)
    # a day without bookings closes at once
    thu = tue + timedelta(days=2)
    done = a.post("/admin/closures", data={**form, "day": thu.isoformat()}, follow_redirects=True).get_data(True)
    assert "close-confirm" not in done and f'data-day="{thu.isoformat()}"' in done
    back = a.post(f"/admin/closures/{tue.isoformat()}/reopen", data={"csrf_token": token},
                  follow_redirects=True).get_data(True)
    assert "Hari dibuka kembali. 3 reservasi yang dibatalkan kembali terpesan." in back
