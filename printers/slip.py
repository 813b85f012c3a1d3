"""The ticket slip: the plain data a printer needs, free of any ORM or web framework.

The core builds a `TicketSlip` from a ticket row; the print agent receives it as JSON
(`to_dict`/`from_dict`) over Socket.IO, so every field must survive a round-trip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

LOCALES = ("id", "en")


@dataclass(frozen=True)
class TicketSlip:
    """Everything printed on one ticket, already localised to the site's time zone."""

    site_name: str
    agency_name: str
    service_name: str
    number: str  # "A-007"
    issued_at: datetime  # timezone-aware, in the site's local zone
    ahead: int
    estimated_wait_seconds: int | None
    track_url: str  # absolute URL, goes into the QR code
    footer: str = ""
    priority: bool = False
    locale: str = "id"  # "id" or "en": labels on the slip
    booked_slot: str = ""  # "09:00": the ticket of an online booking, for the slot starting then
    #: no clerk is on duty for the service yet: the slip says so instead of a wait
    nobody_on_duty: bool = False

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketSlip.issued_at must be timezone-aware")
        if self.locale not in LOCALES:
            raise ValueError(f"TicketSlip.locale must be one of {LOCALES}, not {self.locale!r}")
        if not self.number:
            raise ValueError("TicketSlip.number must not be empty")
        if self.ahead < 0:
            raise ValueError("TicketSlip.ahead must not be negative")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; `issued_at` becomes ISO 8601 with its UTC offset."""
        d = asdict(self)
        d["issued_at"] = self.issued_at.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TicketSlip:
        """Rebuild a slip from `to_dict` output; unknown keys are ignored, bad values raise ValueError."""
        if not isinstance(d, dict):
            raise ValueError("slip must be an object")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        missing = [f.name for f in fields(cls) if f.name not in kwargs and f.name in _REQUIRED]
        if missing:
            raise ValueError(f"slip is missing {', '.join(missing)}")
        issued = kwargs["issued_at"]
        if isinstance(issued, str):
            try:
                kwargs["issued_at"] = datetime.fromisoformat(issued)
            except ValueError as e:
                raise ValueError(f"slip.issued_at is not ISO 8601: {issued!r}") from e
        elif not isinstance(issued, datetime):
            raise ValueError("slip.issued_at must be an ISO 8601 string")
        for name in ("site_name", "agency_name", "service_name", "number", "track_url", "footer", "locale",
                     "booked_slot"):
            if name in kwargs and not isinstance(kwargs[name], str):
                raise ValueError(f"slip.{name} must be a string")
        if not isinstance(kwargs["ahead"], int) or isinstance(kwargs["ahead"], bool):
            raise ValueError("slip.ahead must be an integer")
        wait = kwargs["estimated_wait_seconds"]
        if wait is not None and (not isinstance(wait, int) or isinstance(wait, bool)):
            raise ValueError("slip.estimated_wait_seconds must be an integer or null")
        for name in ("priority", "nobody_on_duty"):
            if name in kwargs and not isinstance(kwargs[name], bool):
                raise ValueError(f"slip.{name} must be a boolean")
        return cls(**kwargs)


_REQUIRED = {
    "site_name",
    "agency_name",
    "service_name",
    "number",
    "issued_at",
    "ahead",
    "estimated_wait_seconds",
    "track_url",
}


MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def format_datetime(when: datetime, locale: str = "id") -> str:
    """'28 November 2026 08:15': day, month name in the slip's language, 24-hour local time."""
    month = MONTHS.get(locale, MONTHS["id"])[when.month - 1]
    return f"{when.day} {month} {when.year} {when:%H:%M}"


def format_ahead(ahead: int, locale: str = "id") -> str:
    """'3 orang di depan Anda' / '3 people ahead of you'."""
    if locale == "en":
        return f"{ahead} {'person' if ahead == 1 else 'people'} ahead of you"
    return f"{ahead} orang di depan Anda"


def format_wait(seconds: int | None, locale: str = "id", *, nobody_on_duty: bool = False) -> str | None:
    """'Perkiraan tunggu ± 15 menit'; 'Belum ada petugas' when nobody is on duty for the service yet; None
    when the core has no estimate otherwise (nothing is printed then)."""
    if nobody_on_duty:
        return label("nobody_on_duty", locale)
    if seconds is None:
        return None
    minutes = max(1, round(seconds / 60)) if seconds > 0 else 0
    hours, mins = divmod(minutes, 60)
    if locale == "en":
        span = f"{hours} h {mins} min" if hours else f"{mins} min"
        return f"Estimated wait ± {span}"
    span = f"{hours} jam {mins} menit" if hours else f"{mins} menit"
    return f"Perkiraan tunggu ± {span}"


LABELS = {
    "id": {
        "number": "Nomor antrean",
        "priority": "PRIORITAS",
        "booked": "RESERVASI {slot}",
        "scan": "Pindai untuk memantau antrean Anda",
        "nobody_on_duty": "Belum ada petugas",
        "test_title": "TES PRINTER",
        "test_body": "Jika Anda dapat membaca ini, printer siap.",
    },
    "en": {
        "number": "Queue number",
        "priority": "PRIORITY",
        "booked": "BOOKED {slot}",
        "scan": "Scan to follow your place in the queue",
        "nobody_on_duty": "No clerk on duty yet",
        "test_title": "PRINTER TEST",
        "test_body": "If you can read this, the printer is ready.",
    },
}


def label(key: str, locale: str = "id") -> str:
    """A fixed label on the slip in the slip's language."""
    return LABELS.get(locale, LABELS["id"])[key]
