"""TicketSlip: JSON round-trip for the agent protocol, validation, and the localised labels."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from printers import TicketSlip
from printers.slip import format_ahead, format_datetime, format_wait

from .helpers import make_slip


@pytest.mark.parametrize(
    "overrides",
    [{}, {"priority": True, "locale": "en"}, {"estimated_wait_seconds": None, "footer": ""}, {"ahead": 0},
     {"estimated_wait_seconds": None, "nobody_on_duty": True}],
)
def test_dict_round_trip_through_json(overrides: dict) -> None:
    slip = make_slip(**overrides)
    wire = json.loads(json.dumps(slip.to_dict()))
    assert wire["issued_at"] == "2026-11-28T08:15:02+07:00"
    back = TicketSlip.from_dict(wire)
    assert back == slip
    assert back.issued_at.utcoffset() == slip.issued_at.utcoffset()


def test_from_dict_ignores_unknown_keys() -> None:
    d = make_slip().to_dict() | {"added_in_a_later_version": 1}
    assert TicketSlip.from_dict(d) == make_slip()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issued_at": "yesterday"}, "ISO 8601"),
        ({"issued_at": "2026-11-28T08:15:02"}, "timezone-aware"),
        ({"ahead": "3"}, "integer"),
        ({"estimated_wait_seconds": 1.5}, "integer or null"),
        ({"locale": "fr"}, "locale"),
        ({"priority": "yes"}, "boolean"),
        ({"nobody_on_duty": 1}, "boolean"),
        ({"number": 7}, "string"),
    ],
)
def test_from_dict_rejects_bad_values(change: dict, message: str) -> None:
    d = make_slip().to_dict() | change
    with pytest.raises(ValueError, match=message):
        TicketSlip.from_dict(d)


def test_from_dict_names_missing_fields() -> None:
    d = make_slip().to_dict()
    del d["track_url"]
    with pytest.raises(ValueError, match="track_url"):
        TicketSlip.from_dict(d)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        make_slip(issued_at=datetime(2026, 11, 28, 8, 15))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("id", "28 November 2026 08:15"), ("en", "28 November 2026 08:15")],
)
def test_date_format(locale: str, expected: str) -> None:
    assert format_datetime(make_slip().issued_at, locale) == expected


def test_indonesian_month_names() -> None:
    when = make_slip().issued_at
    assert format_datetime(when.replace(month=8, day=17), "id") == "17 Agustus 2026 08:15"
    assert format_datetime(when.replace(month=8, day=17), "en") == "17 August 2026 08:15"
    assert format_datetime(when.replace(month=2, day=1), "id") == "1 Februari 2026 08:15"


@pytest.mark.parametrize(
    ("seconds", "locale", "expected"),
    [
        (900, "id", "Perkiraan tunggu ± 15 menit"),
        (900, "en", "Estimated wait ± 15 min"),
        (20, "id", "Perkiraan tunggu ± 1 menit"),
        (0, "id", "Perkiraan tunggu ± 0 menit"),
        (4800, "id", "Perkiraan tunggu ± 1 jam 20 menit"),
        (None, "id", None),
    ],
)
def test_wait_format(seconds: int | None, locale: str, expected: str | None) -> None:
    assert format_wait(seconds, locale) == expected


def test_nobody_on_duty_replaces_the_wait() -> None:
    assert format_wait(None, "id", nobody_on_duty=True) == "Belum ada petugas"
    assert format_wait(None, "en", nobody_on_duty=True) == "No clerk on duty yet"


def test_ahead_format() -> None:
    assert format_ahead(3, "id") == "3 orang di depan Anda"
    assert format_ahead(3, "en") == "3 people ahead of you"
    assert format_ahead(1, "en") == "1 person ahead of you"
