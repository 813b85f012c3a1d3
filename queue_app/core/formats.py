"""How numbers and dates are written: one way per language on every screen and export.

Indonesian writes ``83,33`` and ``1.234``, ``83,3%``, ``Senin, 7 Desember 2026``; English ``83.33``, ``1,234``,
``83.3%``, ``Monday, 7 December 2026``. These are what the browser's ``Intl`` writes for ``id-ID`` and ``en-GB``,
which the screens' scripts use (``/static/js/i18n.js`` ``number``/``percent``, ``/static/js/time.js``), so a
page rendered here and a figure a script fills in read alike. Times are ``HH:MM`` with a colon in both.
Templates use the filters ``number``, ``percent``, ``day_month`` and ``long_date``.
"""

from __future__ import annotations

from datetime import date

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
#: (thousands, decimal) separators
SEPARATORS = {"id": (".", ","), "en": (",", ".")}


def _lang(lang: str | None) -> str:
    if lang in DAYS:
        return lang
    from queue_app.core.i18n import current_lang

    return current_lang()


def number(value: float | int | None, decimals: int = 0, lang: str | None = None) -> str:
    """``1234.5`` as ``1.234,5`` (id) or ``1,234.5`` (en) with ``decimals`` places; a dash for nothing."""
    if value is None:
        return "—"
    thousands, point = SEPARATORS[_lang(lang)]
    text = f"{value:,.{decimals}f}"  # 1,234.5
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def percent(value: float | None, decimals: int = 1, lang: str | None = None) -> str:
    """A share in percent (``83.33`` → ``83,3%`` / ``83.3%``); a dash for nothing."""
    return "—" if value is None else f"{number(value, decimals, lang)}%"


def _day(day: date | str) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


def day_month(day: date | str, lang: str | None = None) -> str:
    """``Senin, 7 Desember`` / ``Monday 7 December`` (a day within the coming weeks)."""
    lang, day = _lang(lang), _day(day)
    if lang == "en":
        return f"{DAYS['en'][day.weekday()]} {day.day} {MONTHS['en'][day.month - 1]}"
    return f"{DAYS['id'][day.weekday()]}, {day.day} {MONTHS['id'][day.month - 1]}"


def long_date(day: date | str, lang: str | None = None) -> str:
    """``Senin, 7 Desember 2026`` / ``Monday, 7 December 2026``."""
    lang, day = _lang(lang), _day(day)
    return f"{DAYS[lang][day.weekday()]}, {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


FILTERS = {"number": number, "percent": percent, "day_month": day_month, "long_date": long_date}
