"""Calendar words in both languages, kept once in the i18n catalogue (prefix ``calendar``).

Workbooks, reports and the kiosk's "opens Monday 08.00" all name days and months; they read them here
instead of each keeping a copy. Scripts read the same keys with ``catalog_script("calendar")``.
"""

from __future__ import annotations

from datetime import date

from queue_app.core.i18n import register, translate

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

register("calendar", {
    lang: {
        **{f"weekday_{i}": name for i, name in enumerate(_WEEKDAYS[lang])},
        **{f"month_{i + 1}": name for i, name in enumerate(_MONTHS[lang])},
        **{f"month_short_{i + 1}": name for i, name in enumerate(_MONTHS_SHORT[lang])},
    }
    for lang in ("id", "en")
})


def weekday_name(day: date, lang: str = "id") -> str:
    """``Senin`` / ``Monday``."""
    return translate(lang, f"calendar.weekday_{day.weekday()}")


def month_name(month: int, lang: str = "id", *, short: bool = False) -> str:
    """``Desember`` / ``December`` (``Des`` / ``Dec`` when short); ``month`` is 1-12."""
    return translate(lang, f"calendar.month_{'short_' if short else ''}{month}")


def long_date(day: date, lang: str = "id") -> str:
    """``7 Desember 2026`` / ``7 December 2026``."""
    return f"{day.day} {month_name(day.month, lang)} {day.year}"
