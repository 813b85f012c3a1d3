"""The building's calendar: weekday tables, breaks, holidays, services narrower than the site, next opening."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from queue_app.core import clock
from queue_app.core.calendar import next_opening, open_ranges, opening
from queue_app.core.siteconfig import TimeRange
from tests.helpers import TEST_SITE, built_app, make_site

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
    resp = client.post("/api/tickets", json={"service": "PERIZINAN"})
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["code"] == "holiday" and "Hari Raya Natal" in err["message"]
    services = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert all(not s["open"] for s in services.values())
    assert services["HALAL"]["holiday"] == "Hari Raya Natal"

    _travel_to(at(FRI, 12, 15))  # Friday break
    resp = client.post("/api/tickets", json={"service": "PERIZINAN"})
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["code"] == "outside_hours"
    assert err["reopens_at"] == "2026-12-04T13:00:00+07:00"
    assert "13:00" in err["message"]
    services = {s["code"]: s for s in client.get("/api/services").get_json()}
    assert services["PERIZINAN"]["open"] is False
    assert services["PERIZINAN"]["reopens_at"] == "2026-12-04T13:00:00+07:00"

    _travel_to(at(FRI, 13, 5))
    assert client.post("/api/tickets", json={"service": "PERIZINAN"}).status_code == 201
    assert client.post("/api/tickets", json={"service": "NONIZIN"}).status_code == 409  # its own 09:00-12:00


def test_without_site_hours_the_site_is_open_every_day(app):
    with app.app_context():
        assert opening("PERIZINAN", at(MON + timedelta(days=6), 3)).open  # a Sunday at 03:00
