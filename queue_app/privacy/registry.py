"""Where the site keeps names and phone numbers: each feature registers its personal fields here, once.

The purge (``[privacy] retain_days`` after the visit or the booked day), ``mpp-queue privacy export PHONE`` and
``mpp-queue privacy erase PHONE`` know no feature: they walk this registry. A feature that stores a name, a
phone number or anything else that points at a person adds one :class:`PersonalData` next to its models
(importing this module only: it sits below every feature)::

    from queue_app.privacy.registry import PersonalData, register

    register(PersonalData(
        name="booking", label="privacy.kind_booking", key=Booking.id,   # a catalogue key (both languages)
        phone=Booking.phone,                       # digits, 08... or 62... (both forms are matched)
        erase=(Booking.name, Booking.phone),       # set to NULL (or ``blanks``) on erasure and on purge
        since=Booking.day,                         # a Date or UTC DateTime: the clock of retain_days starts here
        show=(Booking.code, Booking.day, Booking.name, Booking.phone),  # what an export prints
    ))

That is all: the purge, the export, the erasure, the audit and the cleanup of the database file follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from queue_app.core.errors import ValidationFailed


@dataclass(frozen=True)
class PersonalData:
    """One table's personal fields."""

    #: a short name, the key of this table's rows in an export (``booking``, ``ticket_phone``...)
    name: str
    #: what it is, for /privacy and the export: a key of the i18n catalogue (``privacy.kind_booking``)
    label: str
    #: the table's primary key column
    key: sa.Column[Any] | Any
    #: the column holding a phone number as digits (``08...`` or ``62...``); None if the table has none
    phone: sa.Column[Any] | Any | None
    #: the columns blanked on erasure and on purge: the phone itself, the names given with it...
    erase: Sequence[sa.Column[Any] | Any]
    #: when retain_days starts counting: a Date (the booked day) or a UTC DateTime (the visit)
    since: sa.Column[Any] | Any
    #: the columns an export prints (plain columns or labelled expressions)
    show: Sequence[Any] = ()
    #: the value each erased column gets, by column name (default NULL)
    blanks: dict[str, Any] = field(default_factory=dict)
    #: called with the primary keys of the rows just erased, for related rows that copied a detail
    also: Callable[[list[Any]], None] | None = None

    @property
    def table(self) -> sa.Table:
        return self.key.table

    def blank(self, column: Any) -> Any:  # noqa: ANN401
        return self.blanks.get(column.key)

    def holds_something(self) -> sa.ColumnElement[bool]:
        """Rows not erased yet: at least one personal column still differs from its blank."""
        return sa.or_(*(c.is_distinct_from(self.blank(c)) for c in self.erase))


_registry: dict[str, PersonalData] = {}


def register(data: PersonalData) -> PersonalData:
    """Add a table's personal fields (once per name; a second registration under the same name replaces it)."""
    _registry[data.name] = data
    return data


def registered() -> list[PersonalData]:
    """Every registration, in the order they were made."""
    return list(_registry.values())


_SEPARATORS = re.compile(r"[\s().-]")


def phone_forms(phone: str) -> tuple[str, ...]:
    """The ways a number may be stored: ``08...`` and ``62...`` (``+62 812-3456`` → both).

    :raise ValidationFailed: not a phone number (8 to 15 digits after the country code or the 0).
    """
    digits = _SEPARATORS.sub("", phone or "")
    digits = digits.removeprefix("+")
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = ""
    if not national.isdigit() or not 7 <= len(national) <= 14:
        raise ValidationFailed(f'"{phone}" is not a phone number like 0812-3456-7890 or +62 812 3456 7890.',
                               field="phone")
    return (f"0{national}", f"62{national}")


def masked(phone: str) -> str:
    """A number as the audit log and the notices' lists show it: ``6281******90``."""
    forms = phone_forms(phone)
    digits = forms[1]
    return digits[:4] + "*" * max(0, len(digits) - 6) + digits[-2:]
