"""The building's calendar: weekday tables, breaks, holidays, services narrower than the site, next opening."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from queue_app.core import clock
from queue_app.core.calendar import next_opening, open_ranges, opening
from queue_app.core.siteconfig import TimeRange
from tests.helpers import TEST_SITE, built_app, make_site, on_duty, take_ticket

pytestmark = pytest.mark.both_databases

CALENDAR = TEST_SITE.replace('[display]', '''[site.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-11:30,13:00-15:00"
sat = ""
sun = ""

[display]''', 1).replace('''prefix = "B"''', '''prefix = "B"
hours = "09:00-12:00"''', 1) + '''
[[holidays]]
date = "2026-12-25"
name = "Hari Raya Natal"
'''
MON = date(2026, 11, 30)  # a Monday
FRI = date(2026, 12, 4)
CHRISTMAS = date(2026, 12, 25)  # a Friday


@pytest.fixture
def cal_app(tmp_path, db_url):
    with built_app(make_site(tmp_path, CALENDAR), db_url) as app:
        yield app
    clock.reset()


def at(day: date, hh: int, mm: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Jakarta")).replace(hour=hh, minute=mm)


def _travel_to(moment: datetime) -> None:
    clock.reset()
    clock.travel(moment - clock.utcnow())


def test_weekday_table_breaks_and_narrower_service(cal_app):
    with cal_app.app_context():
        assert open_ranges("PERIZINAN", MON) == (TimeRange(at(MON, 8).time(), at(MON, 15).time()),)
        assert [(r.start.hour, r.start.minute, r.end.hour, r.end.minute) for r in open_ranges("PERIZINAN", FRI)] \
            == [(8, 0, 11, 30), (13, 0, 15, 0)]
        # NONIZIN's own 09:00-12:00 narrows the site's Friday: 09:00-11:30 only
        assert [(r.start.hour, r.end.hour, r.end.minute) for r in open_ranges("NONIZIN", FRI)] == [(9, 11, 30)]
        assert open_ranges("PERIZINAN", MON + timedelta(days=5)) == ()  # Saturday
        assert opening("PERIZINAN", at(FRI, 12, 0)).reason == "outside_hours"  # Friday prayer
        assert opening("PERIZINAN", at(FRI, 12, 0)).reopens_at == at(FRI, 13)
        assert opening("PERIZINAN", at(FRI, 13, 0)).open
        assert opening("NONIZIN", at(MON, 8, 30)).reopens_at == at(MON, 9)
        # after Friday's close the next opening is Monday 08:00 (the weekend is closed)
        assert next_opening("PERIZINAN", at(FRI, 15, 0)) == at(FRI + timedelta(days=3), 8)


def test_holiday_closes_every_service_with_its_name(cal_app):
    with cal_app.app_context():
        state = opening("PERIZINAN", at(CHRISTMAS, 9))
        assert (state.open, state.reason, state.holiday) == (False, "holiday", "Hari Raya Natal")
        assert state.reopens_at == at(CHRISTMAS + timedelta(days=3), 8)  # Monday 28 December


def test_ticket_api_answers_holiday_and_outside_hours(cal_app):
    client = cal_app.test_client()
    _travel_to(at(CHRISTMAS, 9))
    resp = take_ticket(client, "PERIZINAN")
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["code"] == "holiday" and "Hari Raya Natal" in err["message"]
    services = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert all(not s["open"] for s in services.values())
    assert services["HALAL"]["holiday"] == "Hari Raya Natal"

    _travel_to(at(FRI, 12, 15))  # Friday break
    resp = take_ticket(client, "PERIZINAN")
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["code"] == "outside_hours"
    assert err["reopens_at"] == "2026-12-04T13:00:00+07:00"
    assert "13:00" in err["message"]
    services = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert services["PERIZINAN"]["open"] is False
    assert services["PERIZINAN"]["reopens_at"] == "2026-12-04T13:00:00+07:00"

    _travel_to(at(FRI, 13, 5))
    assert take_ticket(client, "PERIZINAN").status_code == 201
    assert take_ticket(client, "NONIZIN").status_code == 409  # its own 09:00-12:00


def test_without_site_hours_the_site_is_open_every_day(app):
    with app.app_context():
        assert opening("PERIZINAN", at(MON + timedelta(days=6), 3)).open  # a Sunday at 03:00


def test_closed_answers_match_the_declared_error_body(cal_app):
    """The 409s carry ``reopens_at`` and ``holiday``; the OpenAPI error model must declare them."""
    from queue_app.api.shapes import Error

    client = cal_app.test_client()
    for moment in (at(CHRISTMAS, 9), at(FRI, 12, 15)):
        _travel_to(moment)
        Error.model_validate(take_ticket(client, "PERIZINAN").get_json())


def test_serving_end_skips_breaks_evenings_weekends_and_holidays(cal_app):
    from queue_app.core.calendar import serving_end

    with cal_app.app_context():
        # Friday 11:20 with 20 minutes of work: 10 before the prayer break, 10 after it
        assert serving_end("PERIZINAN", at(FRI, 11, 20), 20 * 60) == at(FRI, 13, 10)
        assert serving_end("PERIZINAN", at(MON, 9), 20 * 60) == at(MON, 9, 20)  # no gap on the way
        # Friday 14:50 with 30 minutes: 10 today, the weekend is closed, 20 on Monday
        assert serving_end("PERIZINAN", at(FRI, 14, 50), 30 * 60) == at(FRI + timedelta(days=3), 8, 20)
        # NONIZIN (09:00-12:00 inside the site's hours) on Friday closes at 11:30 and skips the afternoon
        assert serving_end("NONIZIN", at(FRI, 11, 20), 20 * 60) == at(FRI + timedelta(days=3), 9, 10)
        # Thursday 24 December 14:50 with 20 minutes: Christmas (Friday) and the weekend in between
        assert serving_end("PERIZINAN", at(CHRISTMAS - timedelta(days=1), 14, 50), 20 * 60) \
            == at(CHRISTMAS + timedelta(days=3), 8, 10)
        # before opening the work starts at the opening
        assert serving_end("PERIZINAN", at(MON, 7), 5 * 60) == at(MON, 8, 5)


def test_ticket_estimate_counts_the_friday_break(cal_app):
    """A ticket at 11:20 on Friday with 20 minutes of work ahead is called about 13:10, not 11:40."""
    client = cal_app.test_client()
    _travel_to(at(FRI, 11, 20))
    on_duty(cal_app)
    bodies = [take_ticket(client, "PERIZINAN").get_json() for _ in range(9)]
    # two counters (L01, L02) serve PERIZINAN: eight tickets ahead at the prior of 300 s each = 20 minutes
    assert bodies[-1]["ahead"] == 8
    with cal_app.app_context():
        from queue_app.core.extensions import db
        from queue_app.queue.estimate import forecast
        from queue_app.queue.models import Ticket

        ticket = db.session.query(Ticket).filter_by(token=bodies[-1]["token"]).one()
        assert forecast(ticket.service_day)[1].serving_of(ticket.id, ticket.service_id, 8) == 20 * 60
    assert abs(bodies[-1]["estimated_wait_seconds"] - (at(FRI, 13, 10) - at(FRI, 11, 20)).total_seconds()) < 5
    token = bodies[-1]["token"]
    shown = client.get(f"/api/tickets/{token}").get_json()
    assert abs(shown["estimated_wait_seconds"] - 110 * 60) < 5
    services = {s["code"]: s for s in client.get("/api/services").get_json()}
    # a new PERIZINAN ticket has nine ahead: two lanes call it in the same round as the ninth
    assert abs(services["PERIZINAN"]["estimated_wait_seconds"] - 110 * 60) < 5
    # NONIZIN (09:00-12:00) has nobody waiting but both counters are busy with PERIZINAN first at L01;
    # whatever its serving time, its estimate never ends inside a closed stretch of its own hours
    nonizin = services["NONIZIN"]["estimated_wait_seconds"]
    assert nonizin <= 10 * 60 or nonizin >= (at(FRI + timedelta(days=3), 9) - at(FRI, 11, 20)).total_seconds()


def test_reopens_label_same_day_another_day_and_after_a_long_break(cal_app):
    from queue_app.queue.opening import reopens_label

    with cal_app.app_context():
        assert reopens_label(at(FRI, 13), now=at(FRI, 12)) == {
            "id": "Buka kembali pukul 13.00", "en": "Opens again at 13:00"}
        assert reopens_label(at(FRI + timedelta(days=3), 8), now=at(FRI, 15, 30)) == {
            "id": "Buka Senin 08.00", "en": "Opens Monday 08:00"}
        assert reopens_label(at(date(2026, 12, 28) + timedelta(days=14), 8), now=at(CHRISTMAS, 9)) == {
            "id": "Buka Senin, 11 Januari 08.00", "en": "Opens Monday, 11 January 08:00"}
        assert reopens_label(None) is None


def test_services_say_why_closed_and_when_they_open_in_both_languages(cal_app):
    client = cal_app.test_client()
    _travel_to(at(FRI, 12, 15))  # the Friday prayer break
    tiles = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert tiles["PERIZINAN"]["closed_reason"] == "outside_hours"
    assert tiles["PERIZINAN"]["reopens_label"] == {"id": "Buka kembali pukul 13.00", "en": "Opens again at 13:00"}
    # NONIZIN (09:00-12:00) is done for Friday: Monday at its own 09:00
    assert tiles["NONIZIN"]["reopens_label"]["id"] == "Buka Senin 09.00"
    _travel_to(at(CHRISTMAS, 9))
    tiles = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert tiles["PERIZINAN"]["closed_reason"] == "holiday" and tiles["PERIZINAN"]["holiday"] == "Hari Raya Natal"
    assert tiles["PERIZINAN"]["reopens_label"]["en"] == "Opens Monday 08:00"
    _travel_to(at(MON, 9))
    assert client.get("/api/services").get_json()[0]["reopens_label"] is None


def test_an_admin_closure_moves_estimates_at_once(cal_app):
    """Friday 14:50, 20 minutes of work: Monday 08:10; once Monday is closed by an admin, Tuesday 08:10."""
    from queue_app.core.extensions import db
    from queue_app.queue.wallclock import _service_codes, wall_seconds
    from queue_app.staff.closures import close_site

    _travel_to(at(FRI, 14, 50))
    monday = FRI + timedelta(days=3)
    with cal_app.app_context():
        sid = {code: i for i, code in _service_codes().items()}["PERIZINAN"]
        assert abs(wall_seconds(sid, 20 * 60) - (at(monday, 8, 10) - at(FRI, 14, 50)).total_seconds()) < 5
        close_site(None, monday, "Pemadaman listrik")
        db.session.commit()
        assert abs(wall_seconds(sid, 20 * 60) - (at(monday + timedelta(days=1), 8, 10) - at(FRI, 14, 50))
                   .total_seconds()) < 5


def test_a_wait_longer_than_a_week_reads_the_calendar_once_and_agrees_with_serving_end(cal_app, monkeypatch):
    """A line of thousands waits weeks of open time: the estimate counts it through the whole look-ahead (with
    Christmas on the way) as serving_end does, from windows walked once, not on every tile and ticket."""
    from queue_app.core import calendar
    from queue_app.core.calendar import serving_end
    from queue_app.queue import wallclock
    from queue_app.queue.wallclock import WallClock, _service_codes

    _travel_to(at(MON, 9))
    hours = (2, 7 * 5 + 3, 7 * 14 + 1)  # today; past the week's windows; past Christmas
    with cal_app.app_context():
        sid = {code: i for i, code in _service_codes().items()}["PERIZINAN"]
        expected = [(serving_end("PERIZINAN", at(MON, 9), h * 3600.0) - at(MON, 9)).total_seconds() for h in hours]
        walks = []
        real = calendar.open_windows

        def counted(*args, **kwargs):
            walks.append(args[2])
            return real(*args, **kwargs)

        monkeypatch.setattr(calendar, "open_windows", counted)
        monkeypatch.setattr(wallclock, "open_windows", counted)
        for _ in range(3):
            for h, want in zip(hours, expected, strict=True):
                assert abs(WallClock().seconds(sid, h * 3600.0) - want) < 5, h
        # past the look-ahead's last opening: plain time, as serving_end
        assert abs(WallClock().seconds(sid, 10**7) - 10**7) < 5
    assert walks == [wallclock.WINDOW_DAYS, calendar.LOOKAHEAD_DAYS + 1]
