"""queue_counts: the waiting count of each line, kept in the transaction of every change (queue_app.queue.counts)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import QueueError
from queue_app.core.extensions import db
from queue_app.core.site import today
from queue_app.queue import counts, operations
from queue_app.queue.estimate import ahead_of, forecast_new
from queue_app.queue.models import QueueCount, Ticket, TicketState
from queue_app.queue.read_models import waiting_counts

pytestmark = pytest.mark.both_databases


def truth() -> dict[int, int]:
    """What counting the tickets says."""
    return dict(db.session.execute(
        sa.select(Ticket.service_id, sa.func.count())
        .where(Ticket.status == TicketState.waiting, Ticket.service_day == today())
        .group_by(Ticket.service_id)).all())


def test_every_verb_keeps_the_counts_exact(ctx):
    """A random day of every verb that moves a ticket (and the errors that roll one back): after each
    step the kept counts equal a fresh count of the tickets."""
    rng = random.Random(15)
    services, counters = ["PERIZINAN", "NONIZIN", "HALAL"], ["L01", "L02", "L03"]
    steps = {"issue": 0, "call": 0, "finish": 0, "no_show": 0, "transfer": 0, "serve": 0, "call_number": 0,
             "rolled back": 0}
    for _ in range(250):
        verb = rng.choice(["issue", "issue", "priority", "call", "call", "finish", "no_show", "transfer", "serve",
                           "call_number", "rollback"])
        counter = rng.choice(counters)
        try:
            if verb in ("issue", "priority"):
                operations.issue_ticket(rng.choice(services), priority=verb == "priority")
                verb = "issue"
            elif verb == "call":
                operations.call_next(counter, actor=None, finish_current=True)
            elif verb == "finish":
                operations.finish(counter, actor=None)
            elif verb == "no_show":
                operations.no_show(counter, actor=None)
            elif verb == "transfer":
                operations.transfer(counter, rng.choice(services), actor=None)
            elif verb == "serve":
                operations.start_serving(counter, actor=None)
            elif verb == "call_number":
                waiting = db.session.scalars(sa.select(Ticket.number).where(Ticket.status == TicketState.waiting)
                                             .order_by(Ticket.id.desc()).limit(1)).first()
                operations.call_number(counter, waiting or "A-999", actor=None)
            else:  # a change that is rolled back must leave no trace in the counts
                operations.issue_ticket("PERIZINAN")
                operations.call_next("L01", actor=None, finish_current=True)
                db.session.flush()
                db.session.rollback()
                steps["rolled back"] += 1
                continue
            db.session.commit()
            steps[verb] += 1
        except QueueError:  # busy counter, nobody waiting, quota, same service...
            db.session.rollback()
        assert waiting_counts() == truth(), verb
        clock.travel(timedelta(seconds=20))
    assert all(steps.values()), steps  # every kind of step happened at least once


def test_a_transactions_own_changes_count_before_commit(ctx):
    """A new ticket is added to its row with its number (one statement, while the number's row is locked
    anyway); other changes are summed after each flush and written just before the commit."""
    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    stored = sa.select(QueueCount.waiting)
    operations.issue_ticket("PERIZINAN")
    assert waiting_counts()[ctx_service_id("PERIZINAN")] == 3
    assert db.session.scalar(stored) == 3  # written with its number
    operations.call_next("L01", actor=None)
    db.session.flush()
    assert waiting_counts()[ctx_service_id("PERIZINAN")] == 2  # flushed, not written to queue_counts yet
    assert db.session.scalar(stored) == 3
    db.session.commit()
    assert db.session.scalar(stored) == 2
    db.session.rollback()
    begin_write()
    operations.issue_ticket("PERIZINAN")
    db.session.rollback()  # the count goes back with the number
    assert db.session.scalar(stored) == 2 and waiting_counts()[ctx_service_id("PERIZINAN")] == 2


def test_a_read_transaction_reads_the_rows_once_and_a_write_reads_afresh(ctx):
    """A kiosk's tiles and a call's refresh ask several times in one read transaction: one statement. The
    memo ends with the transaction, and a write transaction (whose own upserts change the rows) never keeps it."""
    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    reads = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        if statement.startswith("SELECT queue_counts.service_id, queue_counts.waiting"):
            reads.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        sid = ctx_service_id("PERIZINAN")
        assert waiting_counts() == waiting_counts() == {sid: 2}
        assert len(reads) == 1
        db.session.commit()  # a new transaction reads again, and sees what was committed meanwhile
        operations.issue_ticket("PERIZINAN")
        db.session.commit()  # (its pushes to the staff screens read the rows too)
        reads.clear()
        assert waiting_counts() == waiting_counts() == {sid: 3} and len(reads) == 1
        begin_write()  # a write transaction: every ask reads, so its own change of the rows shows
        assert waiting_counts() == {sid: 3}
        db.session.execute(sa.update(QueueCount).values(waiting=QueueCount.waiting + 5))
        assert waiting_counts() == {sid: 8} and len(reads) == 3
        db.session.rollback()
        assert waiting_counts() == {sid: 3} and len(reads) == 4
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_ahead_of_a_new_ticket_counts_bookings_queued_later_as_behind(app, ctx, monkeypatch):
    """A booking checked in early keeps its slot time: a walk-in issued before that slot is ahead of it."""
    from queue_app.queue import estimate

    from ..helpers import on_duty

    monkeypatch.setattr(estimate, "MAX_REPLAY", 2)  # a long line: the estimate follows the place
    on_duty(app)
    operations.issue_ticket("PERIZINAN")
    slot = clock.utcnow() + timedelta(minutes=30)
    for _ in range(5):
        operations.issue_ticket("PERIZINAN", booked_slot_at=slot)
    operations.issue_ticket("PERIZINAN", priority=True)
    db.session.commit()
    eta_for = forecast_new(today(), ctx_service_id("PERIZINAN"))
    db.session.rollback()
    walk_in, _ = operations.issue_ticket("PERIZINAN")
    # 1 walk-in and 1 priority before it; the bookings (queued at their slot) come after it
    assert walk_in.ahead_at_issue == 2
    assert walk_in.estimated_wait_seconds == eta_for(2) != eta_for(7)  # its estimate follows its place
    db.session.commit()
    assert ahead_of(walk_in) == 2  # the same by counting the line (a written ticket)


def test_ahead_of_is_exact_counted_from_either_end(ctx):
    """A written normal ticket's people ahead are counted from the front near the front and as the kept count
    less those behind near the back: both exact, for every ticket of a mixed line (priority, bookings queued at
    their slot, a transfer, calls), committed or with this transaction's calls not yet written."""
    rng = random.Random(7)
    for _ in range(40):
        kind = rng.random()
        if kind < 0.15:
            operations.issue_ticket(rng.choice(["PERIZINAN", "NONIZIN"]), priority=True)
        elif kind < 0.3:
            operations.issue_ticket("PERIZINAN", booked_slot_at=clock.utcnow() + timedelta(minutes=rng.randint(1, 90)))
        else:
            operations.issue_ticket(rng.choice(["PERIZINAN", "NONIZIN"]))
        db.session.commit()
        clock.travel(timedelta(seconds=rng.randint(1, 30)))
    operations.call_next("L01", actor=None)
    operations.transfer("L01", "NONIZIN", actor=None)  # back to waiting, in another service's line
    db.session.commit()

    def check() -> int:
        waiting = db.session.scalars(sa.select(Ticket).where(Ticket.status == TicketState.waiting)).all()
        for t in waiting:
            mine = (not t.priority, t.queue_at, t.id)
            expected = sum(1 for o in waiting if o.service_id == t.service_id and (not o.priority, o.queue_at, o.id) < mine)
            assert ahead_of(t) == expected, t.number
        return len(waiting)

    assert check() >= 35
    begin_write()
    for _ in range(3):
        operations.call_next("L02", actor=None, finish_current=True)
    db.session.flush()  # the calls are in this transaction's unwritten counts, not in queue_counts yet
    assert check() >= 32
    db.session.rollback()


def test_recount_repairs_a_wrong_row(ctx):
    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("HALAL")
    db.session.commit()
    begin_write()
    db.session.execute(sa.update(QueueCount).values(waiting=QueueCount.waiting + 5))
    db.session.commit()
    assert waiting_counts() != truth()
    begin_write()
    assert len(counts.recount()) == 2
    db.session.commit()
    assert waiting_counts() == truth()
    begin_write()
    assert len(counts.recount()) == 0


def test_the_housekeeping_check_says_so_and_repairs(ctx, caplog):
    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    assert counts.check_today(today()) == 0 and not caplog.records  # all true: a read, nothing said
    begin_write()  # a change that escapes the flush hook: a bulk UPDATE
    db.session.execute(sa.update(Ticket).where(Ticket.number == "A-001").values(status=TicketState.cancelled))
    db.session.commit()
    assert waiting_counts() != truth()
    assert counts.check_today(today()) == 1
    db.session.commit()
    assert waiting_counts() == truth() and sum(truth().values()) == 1
    assert "kept 2 waiting, the tickets say 1; repaired" in caplog.text


def test_a_ticket_may_not_change_inside_a_savepoint(ctx):
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    begin_write()
    with pytest.raises(RuntimeError, match="savepoint"), db.session.begin_nested():
        operations.call_next("L01", actor=None)
    db.session.rollback()
    assert waiting_counts() == truth() == {ctx_service_id("PERIZINAN"): 1}


def test_a_ticket_issued_in_a_savepoint_rolled_back_is_not_counted(ctx):
    """A new ticket's count is a statement beside its number's, so a savepoint's rollback takes both back."""
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    begin_write()
    savepoint = db.session.begin_nested()
    operations.issue_ticket("PERIZINAN")
    savepoint.rollback()
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    assert waiting_counts() == truth() == {ctx_service_id("PERIZINAN"): 2}


def ctx_service_id(code: str) -> int:
    from queue_app.core.models import Service

    return db.session.scalar(sa.select(Service.id).where(Service.code == code))


def test_db_recount_command(tmp_path):
    """``mpp-queue db recount`` puts a row edited by hand right and says what it did."""
    from click.testing import CliRunner

    from queue_app.factory import create_app
    from queue_app.ops.cli import cli
    from tests.helpers import TEST_SITE

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)

    def run() -> str:
        result = CliRunner().invoke(cli, ["--config", str(cfg), "db", "recount"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert CliRunner().invoke(cli, ["--config", str(cfg), "db", "upgrade"]).exit_code == 0
    app = create_app(config_path=str(cfg))
    with app.app_context():
        from queue_app.core.apply_config import sync_site

        sync_site(app.extensions["site"])
        operations.issue_ticket("PERIZINAN")
        db.session.commit()
        assert "all correct" in run()
        begin_write()
        db.session.execute(sa.update(QueueCount).values(waiting=7))
        db.session.commit()
    assert "1 row(s) corrected" in run()
    with app.app_context():
        assert waiting_counts() == truth() and sum(truth().values()) == 1
