"""The queue engine: numbering, ordering, the state machine, transfer, idempotency, day rollover."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from queue_app.core import clock
from queue_app.core.errors import InvalidTransition, KioskNotFound, ServiceNotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import current_site, today
from queue_app.queue import operations, rollover
from queue_app.queue.errors import (
    CounterBusy,
    CounterPaused,
    IdempotencyConflict,
    QuotaReached,
    ServiceClosed,
    TicketNotFound,
)
from queue_app.queue.idempotency import remember_key, replay_key
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState
from queue_app.queue.transitions import TRANSITIONS

from ..helpers import built_app, kiosk_key, take_ticket

pytestmark = pytest.mark.both_databases  # every test that builds the app: SQLite and PostgreSQL


def issue(code="PERIZINAN", **kw) -> Ticket:
    ticket, _ = operations.issue_ticket(code, **kw)
    db.session.commit()
    return ticket


def kinds(ticket: Ticket) -> list[str]:
    return [e.kind.value for e in db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]


def test_numbers_run_per_service_with_three_digits(ctx):
    assert [issue().number for _ in range(3)] == ["A-001", "A-002", "A-003"]
    assert issue("NONIZIN").number == "B-001"


def test_number_grows_past_999():
    assert operations.format_number("A", 7) == "A-007"
    assert operations.format_number("AB", 1000) == "AB-1000"


def test_token_is_random_and_long(ctx):
    a, b = issue(), issue()
    assert a.token != b.token and len(a.token) >= 22
    assert "001" not in a.token or a.token.count("0") < 5  # not derived from the number


def test_issue_writes_event_and_estimate(app, ctx):
    from ..helpers import on_duty

    on_duty(app)
    t = issue()
    assert kinds(t) == ["issued"]
    assert t.status is TicketState.waiting
    assert t.estimated_wait_seconds == 0  # nobody ahead, counters free and a clerk at each


def test_an_issued_ticket_is_written_whole_and_counted(ctx):
    """The ticket and its event skip the flush (insert_now): every column is in the row, the object in the
    session is the row as loaded, and the line's count follows even through a rollback."""
    from queue_app.queue import counts

    before = counts.waiting_counts(today())
    t, created = operations.issue_ticket("PERIZINAN", kiosk=None)
    assert created and t.id is not None
    state = sa.inspect(t)
    assert state.persistent and not state.modified and t in db.session
    service = db.session.scalar(sa.select(Service).where(Service.code == "PERIZINAN"))
    assert (t.service_id, t.issued_service_id) == (service.id, service.id)
    assert t.service is service and t.issued_service is service
    assert counts.waiting_counts(today()).get(service.id, 0) == before.get(service.id, 0) + 1
    db.session.commit()
    row = db.session.execute(sa.select(Ticket.__table__).where(Ticket.id == t.id)).mappings().one()
    assert (row["status"], row["recalls"], row["priority"], row["counter_id"], row["called_at"]) == (
        TicketState.waiting, 0, False, None, None)
    assert row["number"] == t.number and row["estimated_wait_seconds"] == t.estimated_wait_seconds
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == t.id)).one()
    assert (event.kind, event.service_id, event.details) == (EventKind.issued, service.id,
                                                              {"priority": False, "kiosk": None})
    assert counts.differences(today()) == []

    operations.issue_ticket("PERIZINAN")
    db.session.rollback()  # the ticket, its event and its count go together
    assert counts.differences(today()) == []
    assert counts.waiting_counts(today()).get(service.id) == before.get(service.id, 0) + 1


def test_insert_now_takes_only_a_new_object_with_its_computed_defaults_set(ctx):
    from queue_app.core.database import begin_write
    from queue_app.core.inserts import insert_now

    t = issue()
    begin_write()
    with pytest.raises(ValueError, match="new object"):
        insert_now(t)
    event = TicketEvent(ticket_id=t.id, kind=EventKind.recalled, at=clock.utcnow(), service_id=t.service_id)
    with pytest.raises(ValueError, match="details"):  # its default is a function: the caller must say
        insert_now(event)
    event.details = {}
    insert_now(event)
    assert event.id is not None and event.counter_id is None and sa.inspect(event).persistent

    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Other(DeclarativeBase):
        pass

    class Thing(Other):  # never created: insert_now refuses before it writes
        __tablename__ = "things"
        id = mapped_column(sa.Integer, primary_key=True)
        made = mapped_column(sa.String(8), server_default="x")

    with pytest.raises(ValueError, match="made"):  # the database's default: the caller must say too
        insert_now(Thing())


def test_insert_now_reads_extra_values_in_the_inserts_round_trip(ctx):
    """``returning=``: SQL the INSERT returns too (a ticket's place, issue 15), set on unmapped attributes."""
    from queue_app.core.database import begin_write
    from queue_app.core.inserts import insert_now

    t = issue()
    begin_write()
    # not counting the row written: SQLite's RETURNING sees it, PostgreSQL's does not
    events = sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == sa.bindparam("of"), TicketEvent.kind == EventKind.issued).scalar_subquery()
    extra = (("seen_events", events + sa.bindparam("plus", type_=sa.Integer)),)
    event = TicketEvent(ticket_id=t.id, kind=EventKind.recalled, at=clock.utcnow(), service_id=t.service_id,
                        details={})
    insert_now(event, extra, {"of": t.id, "plus": 10})
    assert event.seen_events == 11 and event.id is not None and not sa.inspect(event).modified
    with pytest.raises(ValueError, match="does not map"):
        insert_now(TicketEvent(ticket_id=t.id, kind=EventKind.recalled, at=clock.utcnow(), details={}),
                   (("service_id", sa.literal(1)),))


def test_insert_now_writes_a_row_and_its_child_in_one_round_trip_on_postgres(ctx):
    """``then=``: a new ticket's first event, its foreign key from the ticket's INSERT (one statement on
    PostgreSQL, two on SQLite), both persistent as if loaded."""
    from queue_app.core.database import begin_write, is_postgres
    from queue_app.core.inserts import insert_now

    t = issue()
    begin_write()
    ticket = Ticket(token="then-test", number="A-900", seq=900, service_day=t.service_day,
                    issued_service_id=t.service_id, service_id=t.service_id, issued_at=t.issued_at,
                    queue_at=t.queue_at, recalls=0)
    event = TicketEvent(kind=EventKind.issued, at=t.issued_at, service_id=t.service_id, details={"x": 1})
    statements = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        insert_now(ticket, then=event)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == (1 if is_postgres() else 2)
    assert event.ticket_id == ticket.id is not None and event.id is not None
    assert sa.inspect(ticket).persistent and sa.inspect(event).persistent and not sa.inspect(event).modified
    db.session.commit()
    row = db.session.execute(sa.select(TicketEvent.__table__).where(TicketEvent.id == event.id)).mappings().one()
    assert (row["ticket_id"], row["kind"], row["details"]) == (ticket.id, EventKind.issued, {"x": 1})
    assert db.session.scalar(sa.select(Ticket.number).where(Ticket.id == ticket.id)) == "A-900"
    begin_write()
    with pytest.raises(ValueError, match="one foreign key"):  # refused before anything is written
        insert_now(Ticket(token="then-2", number="A-901", seq=901, service_day=t.service_day,
                          issued_service_id=t.service_id, service_id=t.service_id, issued_at=t.issued_at,
                          queue_at=t.queue_at, recalls=0), then=Service(code="X"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.token == "then-2")) == 0


def test_a_rollback_takes_what_insert_now_wrote_out_of_the_session(ctx):
    """As for a row the flush inserted: after a rollback (or a savepoint's) the object is no longer in the
    session, so a later row given the same id (SQLite gives a rolled-back id again) can be written."""
    from queue_app.core.database import begin_write

    t = issue()
    db.session.commit()
    begin_write()
    savepoint = db.session.begin_nested()
    in_savepoint, _ = operations.issue_ticket("PERIZINAN")
    savepoint.rollback()
    kept, _ = operations.issue_ticket("PERIZINAN")  # the same id again on SQLite
    assert sa.inspect(in_savepoint).transient and sa.inspect(kept).persistent
    db.session.rollback()
    assert sa.inspect(kept).transient
    again, _ = operations.issue_ticket("PERIZINAN")
    db.session.commit()
    assert sa.inspect(again).persistent and in_savepoint is not kept is not again
    assert db.session.scalars(sa.select(Ticket.number).order_by(Ticket.id)).all() == [t.number, again.number]


def test_upsert_increments_takes_several_rows_at_once_and_rolls_back_with_them(ctx):
    from queue_app.core.database import begin_write
    from queue_app.core.transactions import upsert_increments
    from queue_app.queue.models import DailyNumber, QueueCount

    begin_write()
    sid = db.session.scalar(sa.select(Service.id).where(Service.code == "NONIZIN"))
    line = {"service_id": sid, "service_day": today()}
    both = ((DailyNumber.__table__, line, "last_number"), (QueueCount.__table__, line, "waiting"))
    assert upsert_increments(*both) == [1, 1]  # both rows made
    db.session.execute(sa.update(QueueCount).values(waiting=5))
    assert upsert_increments(*both) == [2, 6]  # in the order given
    db.session.commit()
    begin_write()
    assert upsert_increments(*both) == [3, 7]
    db.session.rollback()
    begin_write()
    assert upsert_increments(*both) == [3, 7]


def test_upsert_increments_adds_to_several_columns_of_one_row(ctx):
    """A join from afar takes its number and its quota's count on the same row, in the same statement."""
    from queue_app.core.database import begin_write
    from queue_app.core.transactions import upsert_increments
    from queue_app.queue.models import DailyNumber, QueueCount

    begin_write()
    sid = db.session.scalar(sa.select(Service.id).where(Service.code == "NONIZIN"))
    line = {"service_id": sid, "service_day": today()}
    number = (DailyNumber.__table__, line, "last_number")
    joined = (DailyNumber.__table__, line, ("last_number", "remote"))
    count = (QueueCount.__table__, line, "waiting")
    assert upsert_increments(joined, count) == [1, 1, 1]  # a new row starts each column at one
    assert upsert_increments(number, count) == [2, 2]  # a walk-in: the number only
    assert upsert_increments(joined, count) == [3, 2, 3]
    db.session.rollback()
    begin_write()
    assert upsert_increments(number, count) == [1, 1]
    assert db.session.scalar(sa.select(DailyNumber.remote).where(DailyNumber.service_id == sid)) == 0


def _driver_statements(fn) -> list[str]:  # noqa: ANN001
    """What ``fn`` sends to PostgreSQL, in order: every statement a cursor executes (SQLAlchemy's, or one sent
    on the bare connection), and the BEGIN, COMMIT and ROLLBACK psycopg sends itself."""
    import psycopg

    sent: list[str] = []
    exec_command, execute = psycopg.Connection._exec_command, psycopg.Cursor.execute

    def command(self, command, *args, **kw):  # noqa: ANN001, ANN002, ANN003
        sent.append(bytes(command).decode() if isinstance(command, bytes | bytearray | memoryview) else str(command))
        return exec_command(self, command, *args, **kw)

    def statement(self, query, *args, **kw):  # noqa: ANN001, ANN002, ANN003
        sent.append(query if isinstance(query, str) else query.as_string(self) if hasattr(query, "as_string")
                    else bytes(query).decode())
        return execute(self, query, *args, **kw)

    psycopg.Connection._exec_command, psycopg.Cursor.execute = command, statement
    try:
        fn()
    finally:
        psycopg.Connection._exec_command, psycopg.Cursor.execute = exec_command, execute
    return sent


def test_postgres_reads_need_no_begin_and_a_write_begins_the_transaction(site, pg_url):
    """A request that only reads sends its SELECTs alone (no BEGIN, no ROLLBACK: two round trips fewer); the
    first statement that is not a plain SELECT begins the transaction, and it holds from there: a rollback
    takes the writes back, a lock lasts to the commit."""
    with built_app(site, pg_url) as app:
        client = app.test_client()
        assert take_ticket(client).status_code == 201
        sent = _driver_statements(lambda: client.get("/api/services"))
        assert sent and not [s for s in sent if s.split()[0].upper() in ("BEGIN", "ROLLBACK", "COMMIT")], sent

        with app.app_context():
            from queue_app.core.database import begin_write

            begin_write()
            before = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
            sent = _driver_statements(lambda: operations.issue_ticket("PERIZINAN"))
            verbs = [s.split()[0].upper().rstrip(";") for s in sent]
            # the transaction begins with the first write: BEGIN in the same message (the day's number,
            # core.transactions.begin_with), or sent by psycopg while executing it (listed after it)
            first_write = min(i for i, v in enumerate(verbs) if v in ("INSERT", "WITH", "UPDATE", "BEGIN"))
            assert verbs.count("BEGIN") == 1 and verbs.index("BEGIN") in (first_write, first_write + 1), sent
            assert set(verbs[:first_write]) == {"SELECT"}, sent
            db.session.rollback()  # everything from the first write on is taken back
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == before

            # a lock taken by a SELECT (FOR UPDATE, an advisory lock) is in the transaction: held to its end
            db.session.execute(sa.select(Service.id).where(Service.code == "PERIZINAN").with_for_update())
            pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
            engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
            with engine.connect() as other:
                locks = other.execute(sa.text(
                    "SELECT count(*) FROM pg_locks WHERE pid = :pid AND locktype = 'transactionid'"),
                    {"pid": pid}).scalar()
            engine.dispose()
            assert locks == 1
            db.session.rollback()


def test_unknown_service_and_kiosk(ctx):
    with pytest.raises(ServiceNotFound):
        operations.issue_ticket("NOPE")
    with pytest.raises(KioskNotFound):
        operations.issue_ticket("PERIZINAN", kiosk="K9")
    with pytest.raises(ValidationFailed):
        operations.issue_ticket("NONIZIN", kiosk="K2")  # K2 offers PERIZINAN and HALAL only


def test_quota_refuses_and_leaves_no_gap(ctx):
    for _ in range(3):
        issue("HALAL")
    with pytest.raises(QuotaReached):
        operations.issue_ticket("HALAL")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 3


def test_closed_service(ctx):
    """An admin's closure for today; opening hours come from config.toml (tests/site/test_calendar.py)."""
    operations.begin_write()
    s = db.session.scalar(sa.select(Service).where(Service.code == "NONIZIN"))
    s.closed_on = today()
    s.closed_reason = "Sistem sedang gangguan"
    db.session.commit()
    with pytest.raises(ServiceClosed, match="gangguan"):
        operations.issue_ticket("NONIZIN")
    db.session.rollback()


def test_idempotency_key_returns_same_ticket(ctx):
    a, created_a = operations.issue_ticket("PERIZINAN", idempotency_key="tap-1")
    db.session.commit()
    b, created_b = operations.issue_ticket("PERIZINAN", idempotency_key="tap-1")
    db.session.commit()
    assert (created_a, created_b) == (True, False)
    assert a.id == b.id
    c, _ = operations.issue_ticket("PERIZINAN", idempotency_key="tap-2")
    db.session.commit()
    assert c.number == "A-002"


def test_idempotency_key_expires_after_ten_minutes(ctx):
    a, _ = operations.issue_ticket("PERIZINAN", idempotency_key="tap-1")
    db.session.commit()
    clock.travel(timedelta(minutes=11))
    b, created = operations.issue_ticket("PERIZINAN", idempotency_key="tap-1")
    db.session.commit()
    assert created and b.id != a.id


def test_counter_key_reused_for_other_action_is_refused(ctx):
    operations.begin_write()
    remember_key("counter:L01", "k1", action="finish", ticket=None)
    db.session.commit()
    operations.begin_write()
    with pytest.raises(IdempotencyConflict):
        replay_key("counter:L01", "k1", action="call_next")


def test_call_next_order_priority_then_service_order_then_oldest(ctx):
    b1 = issue("NONIZIN")
    a1 = issue("PERIZINAN")
    a2 = issue("PERIZINAN")
    bp = issue("NONIZIN", priority=True)
    ap = issue("PERIZINAN", priority=True)
    order = []
    for _ in range(5):
        t = operations.call_next("L01", actor=None, finish_current=True)
        db.session.commit()
        order.append(t.number)
    # priority of any service, oldest first; then L01's first service (PERIZINAN) oldest first; then NONIZIN
    assert order == [bp.number, ap.number, a1.number, a2.number, b1.number]


def test_other_counter_uses_its_own_service_order(ctx):
    issue("PERIZINAN")
    b = issue("NONIZIN")
    t = operations.call_next("L02", actor=None)
    assert t.number == b.number


def test_call_next_returns_none_when_nobody_waits(ctx):
    issue("HALAL")
    assert operations.call_next("L01", actor=None) is None


def test_call_next_refuses_busy_and_paused_counter(ctx):
    issue(), issue()
    operations.call_next("L01", actor=None)
    db.session.commit()
    with pytest.raises(CounterBusy):
        operations.call_next("L01", actor=None)
    db.session.rollback()
    operations.pause("L01", actor=None)
    db.session.commit()
    with pytest.raises(CounterPaused):
        operations.call_next("L01", actor=None, finish_current=True)


def test_finish_current_and_call_next_in_one_go(ctx):
    a, b = issue(), issue()
    operations.call_next("L01", actor=None)
    db.session.commit()
    t = operations.call_next("L01", actor=None, finish_current=True)
    db.session.commit()
    assert t.id == b.id
    db.session.refresh(a)
    assert a.status is TicketState.done and a.started_at == a.called_at


def test_full_life_writes_every_event(ctx):
    t = issue()
    operations.call_next("L01", actor=None)
    operations.recall("L01", actor=None)
    operations.recall("L01", actor=None)
    operations.start_serving("L01", actor=None)
    operations.finish("L01", actor=None)
    db.session.commit()
    db.session.refresh(t)
    assert kinds(t) == ["issued", "called", "recalled", "recalled", "started", "finished"]
    assert t.status is TicketState.done and t.recalls == 2
    assert t.called_at <= t.last_called_at and t.started_at <= t.finished_at


def test_finish_straight_from_called_after_recall_starts_at_first_call(ctx):
    t = issue()
    operations.call_next("L01", actor=None)
    db.session.commit()
    clock.travel(timedelta(seconds=40))
    operations.recall("L01", actor=None)
    operations.finish("L01", actor=None)
    db.session.commit()
    assert t.started_at == t.called_at < t.last_called_at


def test_recall_keeps_first_called_at(ctx):
    t = issue()
    operations.call_next("L01", actor=None)
    db.session.commit()
    first = t.called_at
    clock.travel(timedelta(seconds=30))
    operations.recall("L01", actor=None)
    db.session.commit()
    assert t.called_at == first and t.last_called_at > first


ACTIONS = {
    "recall": lambda: operations.recall("L01", actor=None),
    "start": lambda: operations.start_serving("L01", actor=None),
    "finish": lambda: operations.finish("L01", actor=None),
    "no_show": lambda: operations.no_show("L01", actor=None),
    "transfer": lambda: operations.transfer("L01", "NONIZIN", actor=None),
}


def _to_state(state: str) -> None:
    """Bring counter L01 to: idle (no current), called or serving."""
    if state == "idle":
        return
    issue()
    operations.call_next("L01", actor=None)
    if state == "serving":
        operations.start_serving("L01", actor=None)
    db.session.commit()


@pytest.mark.parametrize(("state", "action", "allowed", "after"), [
    ("idle", "recall", False, None),
    ("idle", "start", False, None),
    ("idle", "finish", False, None),
    ("idle", "no_show", False, None),
    ("idle", "transfer", False, None),
    ("called", "recall", True, "called"),
    ("called", "start", True, "serving"),
    ("called", "finish", True, "done"),
    ("called", "no_show", True, "no_show"),
    ("called", "transfer", True, "waiting"),
    ("serving", "recall", False, None),
    ("serving", "start", False, None),
    ("serving", "finish", True, "done"),
    ("serving", "no_show", False, None),
    ("serving", "transfer", True, "waiting"),
])
def test_state_machine(ctx, state, action, allowed, after):
    _to_state(state)
    if not allowed:
        with pytest.raises(InvalidTransition):
            ACTIONS[action]()
        return
    ACTIONS[action]()
    db.session.commit()
    t = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()))
    assert t.status.value == after


def test_finished_tickets_cannot_move():
    for final in (TicketState.done, TicketState.no_show, TicketState.cancelled):
        assert TRANSITIONS[final] == frozenset()


def test_transfer_keeps_number_and_issue_time_and_queues_by_it(ctx):
    a1 = issue("PERIZINAN")
    clock.travel(timedelta(minutes=5))
    b1 = issue("NONIZIN")
    operations.call_next("L01", actor=None)
    db.session.commit()
    operations.transfer("L01", "NONIZIN", actor=None)
    db.session.commit()
    db.session.refresh(a1)
    assert a1.number == "A-001" and a1.service.code == "NONIZIN" and a1.status is TicketState.waiting
    assert kinds(a1)[-1] == "transferred"
    # it was issued before B-001, so L02 (NONIZIN first) calls it first
    t = operations.call_next("L02", actor=None)
    assert t.id == a1.id and t.id != b1.id


def test_transfer_to_same_or_unknown_service(ctx):
    issue()
    operations.call_next("L01", actor=None)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        operations.transfer("L01", "PERIZINAN", actor=None)
    db.session.rollback()
    with pytest.raises(ServiceNotFound):
        operations.transfer("L01", "NOPE", actor=None)


def test_call_number_out_of_order(ctx):
    issue(), issue()
    t = operations.call_number("L01", "a-002", actor=None)
    assert t.number == "A-002" and t.status is TicketState.called
    db.session.commit()
    operations.finish("L01", actor=None)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        operations.call_number("L01", "A-002", actor=None)
    db.session.rollback()
    with pytest.raises(TicketNotFound):
        operations.call_number("L01", "P-001", actor=None)  # not one of L01's services


def test_pause_resume(ctx):
    operations.pause("L01", actor=None)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        operations.pause("L01", actor=None)
    db.session.rollback()
    operations.resume("L01", actor=None)
    db.session.commit()


def _at_local(hour: int, minute: int = 0) -> None:
    """Move the test clock to today's local hh:mm."""
    tz = current_site().tz
    now = clock.utcnow().astimezone(tz)
    target = datetime.combine(now.date(), datetime.min.time(), tz).replace(hour=hour, minute=minute)
    clock.travel(target - now)


def test_day_rollover_restarts_numbers_and_never_calls_yesterday(ctx):
    _at_local(23, 50)
    y1 = issue()
    y2 = issue()
    assert y2.number == "A-002"
    clock.travel(timedelta(minutes=20))  # 00:10 next local day
    t = issue()
    assert t.number == "A-001" and t.service_day > y1.service_day
    called = operations.call_next("L01", actor=None)
    assert called.id == t.id  # yesterday's tickets are skipped
    db.session.commit()
    assert rollover.close_stale_tickets() == 2
    db.session.commit()
    db.session.refresh(y1)
    assert y1.status is TicketState.cancelled and kinds(y1)[-1] == "cancelled"
    assert db.session.scalar(sa.select(TicketEvent.details).where(
        TicketEvent.ticket_id == y1.id, TicketEvent.kind == EventKind.cancelled)) == {"reason": "day_ended"}


def test_day_boundary_is_local_not_utc(ctx):
    _at_local(6, 30)  # 23:30 UTC of the previous UTC day in Jakarta
    t = issue()
    assert t.service_day == clock.utcnow().astimezone(current_site().tz).date()
    assert t.service_day != clock.utcnow().date()


def test_called_event_recorded_for_display_with_rising_seq(app, display_client):
    with app.app_context():
        issue(), issue()
        operations.call_next("L01", actor=None)
        db.session.commit()
        operations.recall("L01", actor=None)
        db.session.commit()
    events = [e for e in display_client.get_received("/display") if e["name"] == "called"]
    assert [e["args"][0]["seq"] for e in events] == [1, 2]
    first = events[0]["args"][0]
    assert first["number"] == "A-001" and first["counter"] == {"code": "L01", "name": "Loket 1"}
    assert first["zone"] == "lantai-1" and first["recall"] is False and events[1]["args"][0]["recall"] is True
    assert first["announcement"]["text"].startswith("Nomor antrean A 0 0 1")


def test_rolled_back_call_is_never_published(app, display_client):
    with app.app_context():
        issue()
        display_client.get_received("/display")
        operations.call_next("L01", actor=None)
        db.session.rollback()
    assert [e for e in display_client.get_received("/display") if e["name"] == "called"] == []


def test_the_next_waiting_ticket_comes_with_its_service(ctx):
    """A call announces the called ticket's service: it comes in the same statement (priority step and normal
    step alike), not in a lazy load after the finish's flush, which may have let the session forget it."""
    from queue_app.core.database import begin_write
    from queue_app.core.lookups import get_counter

    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("PERIZINAN", priority=True)
    db.session.commit()
    for priority in (True, False):
        begin_write()
        ticket = operations._next_waiting(get_counter("L01", lock=True))
        assert ticket.priority is priority and "service" not in sa.inspect(ticket).unloaded
        operations.call_next("L01", actor=None, finish_current=True)
        db.session.commit()


# --- the pool's ping ----------------------------------------------------------------------------


def _pinging(monkeypatch) -> list[object]:
    """Record every ping the pool makes before handing out a connection."""
    pings: list[object] = []
    dialect = db.engine.dialect
    real = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda dbapi_conn: pings.append(dbapi_conn) or real(dbapi_conn))
    return pings


def _backend_pid() -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _cut_every_connection(url: str) -> set[int]:
    """What a PostgreSQL restart does to the app's pooled connections (the suite runs alone on its database)."""
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as admin:
        others = admin.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()").scalars().all()
        cut = [pid for pid in others
               if admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar_one()]
    assert cut
    return set(cut)


def test_a_connection_is_pinged_only_after_it_sat_idle(ctx, monkeypatch):
    from queue_app.core import database

    pings = _pinging(monkeypatch)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # however slow this machine is now
    for _ in range(3):  # each request hands its connection back: the next one takes it without a round trip
        issue()
        db.session.remove()
    assert pings == []
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    import time

    time.sleep(0.1)
    issue()
    assert pings  # every connection the issue took had sat idle


def test_a_dead_idle_connection_is_replaced_before_a_request_meets_it(site, pg_url, monkeypatch):
    """What pool_pre_ping did, for a connection left idle: PostgreSQL cut it (a restart, an admin's
    pg_terminate_backend) and the next ticket is issued on a new one, with no error."""
    from queue_app.core import database

    with built_app(site, pg_url) as app:
        client = app.test_client()
        assert take_ticket(client).status_code == 201
        with app.app_context():
            pings = _pinging(monkeypatch)
        dead = _cut_every_connection(pg_url)
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        resp = take_ticket(client)
        assert resp.status_code == 201, resp.get_json()
        assert len(pings) == 1  # the dead one; the pool then emptied itself and opened a new one
        with app.app_context():
            assert _backend_pid() not in dead


def test_a_connection_cut_while_just_used_fails_one_request_with_503_then_heals(site, pg_url, monkeypatch):
    """Not pinged (it came back a moment ago): its statement meets the cut, the request answers 503 like
    any database outage, and the pool, emptied, serves the next request."""
    from queue_app.core import database

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # "a moment ago", however slow the machine
    with built_app(site, pg_url) as app:
        client = app.test_client()
        assert take_ticket(client).status_code == 201
        with app.app_context():
            pings = _pinging(monkeypatch)
        _cut_every_connection(pg_url)
        resp = take_ticket(client)
        assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable"
        assert take_ticket(client).status_code == 201
        assert pings == []


# --- the catalogue each process keeps (queue_app.core.lookups) -----------------------------------


def _statements_of(fn) -> list[str]:  # noqa: ANN001
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _elsewhere(sql: str, **params) -> None:
    """A write made by another process (or an operator's psql): a connection of its own, committed."""
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_a_ticket_reads_the_catalogue_token_not_the_service(ctx):
    from queue_app.staff.devices import check_key

    key = kiosk_key(current_app._get_current_object(), "K1")
    issue()  # the first use loads the catalogue

    def kiosk_press() -> None:  # as POST /api/tickets does: one transaction, the key, the ticket (then commit)
        operations.begin_write()
        assert check_key("kiosk", "K1", key)
        operations.issue_ticket("PERIZINAN", kiosk="K1")

    statements = _statements_of(kiosk_press)
    db.session.commit()
    assert sum("catalogue_version" in s for s in statements) == 1, statements
    assert not any("FROM services" in s or "FROM settings" in s for s in statements), statements
    ticket = issue("HALAL")
    assert (ticket.service.code, ticket.service.agency.code) == ("HALAL", "DINKOPUKM")


def test_a_service_changed_in_another_process_is_seen_by_the_next_ticket(ctx):
    issue("NONIZIN")
    _elsewhere("UPDATE services SET closed_on = :day, closed_reason = 'Sistem sedang gangguan' "
               "WHERE code = 'NONIZIN'", day=today())
    with pytest.raises(ServiceClosed, match="gangguan"):
        operations.issue_ticket("NONIZIN")
    db.session.rollback()
    _elsewhere("UPDATE agencies SET name = 'Badan POM' WHERE code = 'DINKOPUKM'")
    assert issue("HALAL").service.agency.name == "Badan POM"
    _elsewhere("UPDATE services SET active = :no WHERE code = 'HALAL'", no=False)
    with pytest.raises(ServiceNotFound):
        operations.issue_ticket("HALAL")


def test_the_kiosk_tiles_follow_a_change_made_in_another_process(ctx):
    from queue_app.queue.read_models import services_public

    def tile(code: str) -> dict | None:
        db.session.rollback()  # a new request
        return next((t for t in services_public() if t["code"] == code), None)

    assert tile("NONIZIN")["open"]
    _elsewhere("UPDATE services SET closed_on = :day, closed_reason = 'Sistem sedang gangguan' "
               "WHERE code = 'NONIZIN'", day=today())
    assert tile("NONIZIN")["closed_message"] == "Sistem sedang gangguan"
    _elsewhere("UPDATE services SET active = :no WHERE code = 'NONIZIN'", no=False)
    assert tile("NONIZIN") is None


def test_a_kiosk_key_changed_in_another_process_is_refused_at_once(ctx):
    from queue_app.staff.devices import check_key

    key = kiosk_key(current_app._get_current_object(), "K1")
    assert check_key("kiosk", "K1", key)
    db.session.commit()
    _elsewhere("UPDATE settings SET value = :v WHERE key = 'kiosk_key:K1'", v='{"sha256": "0"}')
    assert not check_key("kiosk", "K1", key)


def test_a_write_in_the_same_transaction_is_seen_by_the_next_lookup(ctx):
    """However it is written (here plain SQL, not the ORM), the transaction's next lookup sees its own write."""
    from queue_app.core.lookups import setting_value

    operations.begin_write()
    assert setting_value("report_signer") is None  # the catalogue, read once in this transaction
    db.session.connection().execute(sa.text(
        "INSERT INTO settings (key, value, updated_at) VALUES ('report_signer', '{\"name\": \"Budi\"}', "
        "CURRENT_TIMESTAMP)"))
    assert setting_value("report_signer") == {"name": "Budi"}
    db.session.rollback()
    assert setting_value("report_signer") is None


def test_a_rolled_back_change_does_not_stay_in_the_catalogue(ctx):
    from queue_app.staff.admin import close_service

    issue("NONIZIN")
    close_service(None, "NONIZIN", "Sistem sedang gangguan")
    with pytest.raises(ServiceClosed):  # this transaction sees its own change (and loads it)
        operations.issue_ticket("NONIZIN")
    db.session.rollback()
    assert issue("NONIZIN").service.closed_on is None


def test_every_write_to_agencies_services_or_settings_gives_the_catalogue_a_new_token(ctx):
    def token() -> str | None:
        db.session.rollback()
        return db.session.scalar(sa.text("SELECT token FROM catalogue_version"))

    tokens = [token()]
    for sql in ("UPDATE services SET name_en = 'x' WHERE code = 'HALAL'",
                "UPDATE agencies SET name = 'y' WHERE code = 'DINKOPUKM'",
                "INSERT INTO agencies (code, name, active) VALUES ('NEW', 'New', :yes)",
                "DELETE FROM agencies WHERE code = 'NEW'",
                "INSERT INTO settings (key, value, updated_at) VALUES ('k', '1', CURRENT_TIMESTAMP)",
                "UPDATE settings SET value = '2' WHERE key = 'k'", "DELETE FROM settings WHERE key = 'k'"):
        _elsewhere(sql, yes=True)
        tokens.append(token())
    assert None not in tokens and len(set(tokens)) == len(tokens), tokens
