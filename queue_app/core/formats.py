"""How numbers and dates are written: one way per language on every screen and export.

Indonesian writes ``83,33`` and ``1.234``, ``83,3%``, ``Senin, 7 Desember 2026``; English ``83.33``, ``1,234``,
``83.3%``, ``Monday, 7 December 2026``. These are what the browser's ``Intl`` writes for ``id-ID`` and ``en-GB``,
which the screens' scripts use (``/static/js/i18n.js`` ``number``/``percent``, ``/static/js/time.js``), so a
page rendered here and a figure a script fills in read alike. Times are ``HH:MM`` with a colon in both.
Templates use the filters ``number``, ``percent``, ``day_month`` and ``long_date``.
"""

from __future__ import annotations

from datetime import date

from queue_app.core.i18n import LANGS, current_lang, register, translate

_WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
_MONTHS_SHORT = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
# the calendar's words live once, in the i18n catalogue (prefix ``calendar``), for templates and scripts too
register("calendar", {
    lang: {
        **{f"weekday_{i}": name for i, name in enumerate(_WEEKDAYS[lang])},
        **{f"month_{i + 1}": name for i, name in enumerate(_MONTHS[lang])},
        **{f"month_short_{i + 1}": name for i, name in enumerate(_MONTHS_SHORT[lang])},
    }
    for lang in LANGS
})

#: (thousands, decimal) separators
SEPARATORS = {"id": (".", ","), "en": (",", ".")}


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else current_lang()


def weekday_name(day: date, lang: str | None = None) -> str:
    """``Senin`` / ``Monday``."""
    return translate(_lang(lang), f"calendar.weekday_{day.weekday()}")


def month_name(month: int, lang: str | None = None, *, short: bool = False) -> str:
    """``Desember`` / ``December`` (``Des`` / ``Dec`` when short); ``month`` is 1-12."""
    return translate(_lang(lang), f"calendar.month_{'short_' if short else ''}{month}")


def plain_date(day: date, lang: str | None = None) -> str:
    """``7 Desember 2026`` / ``7 December 2026`` (reports and workbooks)."""
    return f"{day.day} {month_name(day.month, lang)} {day.year}"


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
        return f"{weekday_name(day, lang)} {day.day} {month_name(day.month, lang)}"
    return f"{weekday_name(day, lang)}, {day.day} {month_name(day.month, lang)}"


def long_date(day: date | str, lang: str | None = None) -> str:
    """``Senin, 7 Desember 2026`` / ``Monday, 7 December 2026``."""
    lang, day = _lang(lang), _day(day)
    return f"{weekday_name(day, lang)}, {plain_date(day, lang)}"


FILTERS = {"number": number, "percent": percent, "day_month": day_month, "long_date": long_date}
