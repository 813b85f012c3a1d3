"""config.toml's second-round tables: opening hours per weekday, holidays, bookings, survey, public tickets.

Only their parsing and validation; the queue's use of them is tested where it is implemented.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from queue_app.core.siteconfig import ConfigError, TimeRange, WeeklyHours, parse_site_config
from tests.helpers import TEST_SITE

CALENDAR = """
[site.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-11:30,13:00-15:00"
sat = ""

[[holidays]]
date = "2026-12-25"
name = "Hari Raya Natal"

[[holidays]]
date = 2026-08-17
name = "Hari Kemerdekaan"

[survey]
days_open = 14
"""


def _site(tmp_path, extra: str = "", mutate=None):
    raw = tomllib.loads(TEST_SITE + extra)
    if mutate:
        mutate(raw)
    return parse_site_config(raw, base_dir=tmp_path)


def t(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


def test_defaults_leave_behaviour_as_before(tmp_path):
    site = _site(tmp_path)
    assert site.public_tickets is False
    assert site.weekly_hours is None  # open every day
    assert site.holidays == {}
    assert site.survey_days_open == 7
    assert all(s.booking is None and s.weekly_hours is None and s.hours is None for s in site.services)


def test_site_hours_holidays_and_survey_are_parsed(tmp_path):
    site = _site(tmp_path, CALENDAR, lambda r: r["site"].update(public_tickets=True))
    assert site.public_tickets is True
    week = site.weekly_hours
    assert week.ranges(0) == (TimeRange(t("08:00"), t("15:00")),)
    assert week.ranges(4) == ((t("08:00"), t("11:30")), (t("13:00"), t("15:00")))  # Friday prayer break
    assert week.ranges(5) == () and week.ranges(6) == ()  # "" and absent are both closed
    assert list(site.holidays.items()) == [(dt.date(2026, 8, 17), "Hari Kemerdekaan"),
                                          (dt.date(2026, 12, 25), "Hari Raya Natal")]
    assert site.survey_days_open == 14


def test_service_hours_plain_range_or_weekday_table(tmp_path):
    def mutate(r):
        r["services"][0]["hours"] = "08:00-15:00"
        r["services"][1]["hours"] = "08:00-11:30,13:00-14:00"
        r["services"][2]["hours"] = {"mon": "09:00-12:00", "fri": "09:00-11:00"}

    perizinan, nonizin, halal = _site(tmp_path, mutate=mutate).services
    # the one window the queue enforces today is unchanged for the plain range
    assert perizinan.hours == (t("08:00"), t("15:00"))
    assert perizinan.weekly_hours == WeeklyHours.every_day((TimeRange(t("08:00"), t("15:00")),))
    # several windows or a table: the full picture is in weekly_hours only
    assert nonizin.hours is None
    assert nonizin.weekly_hours.ranges(2) == ((t("08:00"), t("11:30")), (t("13:00"), t("14:00")))
    assert halal.hours is None
    assert halal.weekly_hours.ranges(0) == ((t("09:00"), t("12:00")),)
    assert halal.weekly_hours.ranges(1) == ()


def test_service_weekday_table_with_the_same_window_every_day_is_that_window(tmp_path):
    every = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "07:30-16:00")
    site = _site(tmp_path, mutate=lambda r: r["services"][0].update(hours=every))
    assert site.services[0].hours == (t("07:30"), t("16:00"))


def test_booking_table(tmp_path):
    extra = """
[services.booking]
slot_minutes = 20
per_slot = 2
"""
    # [services.booking] after the last [[services]] belongs to that service (HALAL)
    raw = TEST_SITE.replace("[[counters]]", extra + "\n[[counters]]", 1)
    site = parse_site_config(tomllib.loads(raw), base_dir=tmp_path)
    booking = site.service("HALAL").booking
    assert (booking.slot_minutes, booking.per_slot, booking.days_ahead) == (20, 2, 7)
    assert (booking.checkin_early_minutes, booking.checkin_late_minutes) == (60, 15)
    assert site.service("PERIZINAN").booking is None


@pytest.mark.parametrize(("extra", "mutate", "message"), [
    ("[site.hours]\nfri = \"08:00-11:30,11:00-15:00\"\n", None,
     'site.hours.fri: the window "11:00-15:00" starts before the one ahead of it ends'),
    ("[site.hours]\nmon = \"8:00-15:00\"\n", None, 'site.hours.mon: must look like "08:00-15:00"'),
    ("[site.hours]\nmon = \"15:00-08:00\"\n", None, 'site.hours.mon: the window "15:00-08:00" ends before it starts'),
    ("[site.hours]\nmon = \"08:00-25:00\"\n", None, "site.hours.mon: must look like"),
    ("[site.hours]\nmonday = \"08:00-15:00\"\n", None, "site.hours.monday: unknown key"),
    ("[site.hours]\nmon = 8\n", None, "site.hours.mon: must be a string"),
    ("", lambda r: r["site"].update(hours="08:00-15:00"), "site.hours: must be a table"),
    ("", lambda r: r["site"].update(public_tickets="true"), "site.public_tickets: must be true or false"),
    ("", lambda r: r["services"][1].update(hours={"sat": "10:00-09:00"}),
     'services[1].hours.sat: the window "10:00-09:00" ends before it starts'),
    ("", lambda r: r["services"][1].update(hours={"fri": "08:00-11:00", "jum": "x"}), "services[1].hours.jum: unknown key"),
    ("", lambda r: r["services"][1].update(hours=["08:00-15:00"]), "services[1].hours: must be a range"),
    ("[[holidays]]\ndate = \"2026-02-30\"\nname = \"x\"\n", None, 'holidays[0].date: must be a date such as "2026-12-25"'),
    ("[[holidays]]\ndate = 2026-12-25T00:00:00\nname = \"x\"\n", None, "holidays[0].date: must be a date"),
    ("[[holidays]]\ndate = \"2026-12-25\"\n", None, "holidays[0].name: missing"),
    ("[[holidays]]\ndate = \"2026-12-25\"\nname = \"Natal\"\n[[holidays]]\ndate = 2026-12-25\nname = \"Natal\"\n", None,
     'holidays[1].date: duplicate date "2026-12-25" (also used by holidays[0])'),
    ("", lambda r: r.update(holidays={"date": "2026-12-25"}), "holidays: must be an array of tables ([[holidays]])"),
    ("", lambda r: r["services"][2].update(booking={"per_slot": 0}), "services[2].booking.per_slot: must be at least 1"),
    ("", lambda r: r["services"][2].update(booking={"slot_minutes": "30"}),
     "services[2].booking.slot_minutes: must be a whole number"),
    ("", lambda r: r["services"][2].update(booking={"days_ahead": 0}), "services[2].booking.days_ahead: must be at least 1"),
    ("", lambda r: r["services"][2].update(booking={"checkin_late_minutes": -5}),
     "services[2].booking.checkin_late_minutes: must be at least 0"),
    ("", lambda r: r["services"][2].update(booking={"slots": 4}), "services[2].booking.slots: unknown key"),
    ("[survey]\ndays_open = 0\n", None, "survey.days_open: must be at least 1"),
    ("[survey]\ndays = 7\n", None, "survey.days: unknown key"),
])
def test_bad_calendar_names_key_and_problem(tmp_path, extra, mutate, message):
    with pytest.raises(ConfigError) as err:
        _site(tmp_path, extra, mutate)
    assert message in str(err.value)
