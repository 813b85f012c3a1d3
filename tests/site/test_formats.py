"""One number and date format per language (queue_app/core/formats.py), the same as the screens' Intl."""

from __future__ import annotations

from datetime import date

import pytest

from queue_app.core.formats import day_month, long_date, number, percent


@pytest.mark.parametrize(("lang", "expected"), [("id", ("1.234,50", "83,3%", "100,0%")),
                                                ("en", ("1,234.50", "83.3%", "100.0%"))])
def test_numbers_are_written_the_way_of_the_language(lang, expected):
    assert (number(1234.5, 2, lang), percent(83.333, 1, lang), percent(100, 1, lang)) == expected
    assert number(None, 2, lang) == percent(None, 1, lang) == "—"


def test_days_are_written_as_chromium_writes_them_for_id_ID_and_en_GB():
    monday = date(2026, 12, 7)
    assert day_month(monday, "id") == "Senin, 7 Desember" and day_month("2026-12-07", "en") == "Monday 7 December"
    assert long_date(monday, "id") == "Senin, 7 Desember 2026"
    assert long_date(monday, "en") == "Monday, 7 December 2026"
