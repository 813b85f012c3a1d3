"""A slot's places: counted in ``booking_slots`` rows, taken with a conditional UPDATE, so a slot never holds more
than ``per_slot`` bookings however many requests race for it; and the advisory locks that make the counts of a
booking's shares (:mod:`queue_app.booking.limits`) and its place one step on PostgreSQL.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date

import sqlalchemy as sa

from queue_app.booking.models import BookingSlot
from queue_app.core.database import insert_or_nothing, is_postgres
from queue_app.core.extensions import db
from queue_app.core.transactions import commit_if_row


def lock_shares(service_id: int, day: date, keys: list[tuple[str, ...]]) -> None:
    """Serialise the bookings that count against one share (PostgreSQL; SQLite writes one at a time): every
    key's advisory lock in one statement, taken in the order given."""
    if not keys or not is_postgres():
        return
    params = {}
    for i, key in enumerate(keys):
        digest = hashlib.sha256("|".join(map(str, (*key, service_id, day))).encode()).digest()
        params[f"k{i}"] = int.from_bytes(digest[:8], "big", signed=True)
    # a SELECT's columns are evaluated left to right
    db.session.execute(sa.text("SELECT " + ", ".join(f"pg_advisory_xact_lock(:k{i})" for i in range(len(keys)))),
                       params)





def take(service_id: int, day: date, start: str, cap: int, *, commit: bool = False) -> bool:
    """Take one place if fewer than ``cap`` are taken. One conditional UPDATE: on PostgreSQL a racing
    request waits for the row and re-checks ``taken`` once the first commits; SQLite writes one at a time.
    On PostgreSQL the row is created by the same statement (an upsert whose update is conditional: one
    round trip while the row is locked), and with ``commit`` the transaction is committed in that round trip
    (:func:`~queue_app.core.transactions.commit_if_row`)."""
    if cap <= 0:
        return False
    keys = {"service_id": service_id, "day": day, "start": start}
    table = BookingSlot.__table__
    if is_postgres():
        if commit:
            from psycopg import sql

            return commit_if_row(sql.SQL(TAKE_SQL).format(*map(sql.Literal, (service_id, day, start, cap))))
        return db.session.execute(_take_statement(), {**keys, "cap": cap}).first() is not None
    db.session.execute(insert_or_nothing(table, {**keys, "taken": 0}))
    result = db.session.execute(
        table.update()
        .where(table.c.service_id == service_id, table.c.day == day, table.c.start == start, table.c.taken < cap)
        .values(taken=table.c.taken + 1)
    )
    return result.rowcount == 1


#: :func:`_take_statement` with its values inlined (service id, day, start, cap), for one message with the COMMIT
TAKE_SQL = ("INSERT INTO booking_slots (service_id, day, start, taken) VALUES ({}, {}, {}, 1) "
            "ON CONFLICT (service_id, day, start) DO UPDATE SET taken = booking_slots.taken + 1 "
            "WHERE booking_slots.taken < {} RETURNING booking_slots.taken")


@functools.cache
def _take_statement() -> sa.Insert:
    from sqlalchemy.dialects.postgresql import insert

    table = BookingSlot.__table__
    stmt = insert(table).values(service_id=sa.bindparam("service_id"), day=sa.bindparam("day"),
                                start=sa.bindparam("start"), taken=1)
    return stmt.on_conflict_do_update(
        index_elements=["service_id", "day", "start"], set_={"taken": table.c.taken + 1},
        where=table.c.taken < sa.bindparam("cap")).returning(table.c.taken)


def release(service_id: int, day: date, start: str) -> None:
    table = BookingSlot.__table__
    db.session.execute(
        table.update()
        .where(table.c.service_id == service_id, table.c.day == day, table.c.start == start, table.c.taken > 0)
        .values(taken=table.c.taken - 1)
    )
