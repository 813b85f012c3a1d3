"""Kiosk presses of one service that wait together are issued in one transaction (queue_app/queue/presses.py).

A batch is formed deterministically: the test holds its service's line (as a leader busy with an earlier
batch would), lets the presses queue behind it from threads, then hands the lead on, as the leader does.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.queue import presses

from ..helpers import kiosk_key, take_ticket

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def _free_lines():
    """A line a failed test left held must not hold up the next test's presses."""
    yield
    presses._lines.clear()


class Held:
    """A service's line held by the test: presses of that service queue up until :meth:`release`."""

    def __init__(self, app, service: str) -> None:
        self.app = app
        self.blocker = presses.Press(service, None, None, prove=lambda: None, describe=lambda t, c: {})
        with app.app_context():
            self.line = presses._join(self.blocker)
        assert self.blocker.leads, "the line was not free"

    def wait_for(self, n: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.line.waiting) < n + 1:  # the blocker is the first
            assert time.monotonic() < deadline, f"only {len(self.line.waiting) - 1} of {n} presses queued"
            time.sleep(0.005)

    def release(self) -> None:
        assert self.line.waiting.popleft() is self.blocker
        presses._hand_on(self.line, [])


def press_together(app, service: str, requests: list[dict]) -> list:
    """POST each of ``requests`` (take_ticket's keyword arguments) from its own thread, all queued behind
    a held line, then released at once; the responses in the order of ``requests``."""
    client = app.test_client()
    held = Held(app, service)
    responses: list = [None] * len(requests)

    def post(i: int) -> None:
        responses[i] = take_ticket(client, requests[i].pop("service", service), **requests[i])

    threads = []
    for i in range(len(requests)):  # one after the other, so the line keeps their order
        threads.append(threading.Thread(target=post, args=(i,)))
        threads[-1].start()
        held.wait_for(i + 1)
    held.release()
    for t in threads:
        t.join(10)
    return responses


@pytest.fixture
def commits(app):
    """How many transactions are committed on the app's database from now on (the kiosks' keys made first)."""
    for kiosk in ("K1", "K2"):
        kiosk_key(app, kiosk)
    seen: list[int] = []

    def count(conn) -> None:  # noqa: ANN001
        seen.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", count)
    yield seen
    sa.event.remove(engine, "commit", count)


def waiting_count(app, service: str) -> tuple[int, int]:
    """(the kept count, a fresh count) of the service's waiting tickets."""
    with app.app_context():
        kept = db.session.scalar(sa.text(
            "SELECT COALESCE(SUM(c.waiting), 0) FROM queue_counts c JOIN services s ON s.id = c.service_id "
            "WHERE s.code = :code"), {"code": service})
        fresh = db.session.scalar(sa.text(
            "SELECT COUNT(*) FROM tickets t JOIN services s ON s.id = t.service_id "
            "WHERE s.code = :code AND t.status = 'waiting'"), {"code": service})
        return int(kept), int(fresh)


def test_presses_that_wait_together_are_issued_in_one_transaction(app, commits):
    responses = press_together(app, "PERIZINAN", [{"kiosk": "K1"} for _ in range(4)])
    assert [r.status_code for r in responses] == [201] * 4
    # in the order they queued, with no gap, each with its own token and place
    assert [r.json["number"] for r in responses] == ["A-001", "A-002", "A-003", "A-004"]
    assert [r.json["ahead"] for r in responses] == [0, 1, 2, 3]
    assert len({r.json["token"] for r in responses}) == 4
    assert len(commits) == 1
    assert waiting_count(app, "PERIZINAN") == (4, 4)
    client = app.test_client()
    for r in responses:  # each a real ticket a phone can follow
        assert client.get(f"/api/tickets/{r.json['token']}").json["number"] == r.json["number"]


def test_each_ticket_of_a_batch_prints_at_its_own_kiosk(app, commits):
    # K2 has a (dummy) printer, K1 none: the ticket, issued in the leader's session, prints in its own request
    responses = press_together(app, "PERIZINAN", [{"kiosk": "K2"}, {"kiosk": "K1"}, {"kiosk": "K2"}])
    assert [r.status_code for r in responses] == [201] * 3
    assert [r.json["print"]["status"] for r in responses] == ["printed", "none", "printed"]
    with app.app_context():
        slips = db.session.execute(sa.text(
            "SELECT t.number FROM print_jobs j JOIN tickets t ON t.id = j.ticket_id")).scalars().all()
    assert sorted(slips) == ["A-001", "A-003"]  # printed by each request after the commit, in either order


def test_a_press_with_a_wrong_key_is_refused_and_the_others_issued(app, commits):
    responses = press_together(app, "PERIZINAN", [
        {"kiosk": "K1"}, {"kiosk": "K1", "headers": {"X-Kiosk-Key": "not-the-key"}}, {"kiosk": "K1"}])
    # take_ticket sends the right key; a header given replaces it
    assert [r.status_code for r in responses] == [201, 401, 201]
    assert responses[1].json["error"]["code"] == "kiosk_unauthorized"
    assert [responses[0].json["number"], responses[2].json["number"]] == ["A-001", "A-002"]
    assert len(commits) == 1


def test_a_press_the_queue_refuses_gets_its_error_and_the_others_are_issued_together(app, commits):
    # HALAL takes three tickets a day: the fourth press is refused, then the fifth, and the first three
    # are issued again in their order, still together
    responses = press_together(app, "HALAL", [{"kiosk": "K1"} for _ in range(5)])
    assert [r.status_code for r in responses] == [201, 201, 201, 409, 409]
    assert {r.json["error"]["code"] for r in responses[3:]} == {"quota_reached"}
    assert [r.json["number"] for r in responses[:3]] == ["P-001", "P-002", "P-003"]
    assert len(commits) == 1
    assert waiting_count(app, "HALAL") == (3, 3)


def test_a_press_issued_again_after_a_refusal_in_its_batch_is_not_counted_twice(app):
    app.config.update(RATELIMIT_TICKETS_PER_KIOSK=3)
    first = take_ticket(app.test_client(), "PERIZINAN", kiosk="K1", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    # the second press reuses the first's key for another service: refused, and its batch rolled back
    responses = press_together(app, "NONIZIN", [
        {"kiosk": "K1"}, {"kiosk": "K1", "headers": {"Idempotency-Key": "k-1"}}])
    assert responses[1].status_code == 422 and responses[1].json["error"]["code"] == "idempotency_conflict"
    # three presses counted against K1's three a minute: the first press, issued again, was not counted again
    assert responses[0].status_code == 201, responses[0].json
    assert take_ticket(app.test_client(), "NONIZIN", kiosk="K1").status_code == 429


def test_a_failed_commit_answers_each_press_503_and_issues_none_of_them_again(app, commits):
    """Whether a failed commit wrote anything is unknown, so nothing is retried: each kiosk hears 503 and
    retries itself (with its Idempotency-Key, which would find a ticket that was written)."""
    failures = [1]

    def fail_once(conn) -> None:  # noqa: ANN001
        if failures:
            failures.pop()
            raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", fail_once)
    try:
        responses = press_together(app, "PERIZINAN", [{"kiosk": "K1"}, {"kiosk": "K1"}])
    finally:
        sa.event.remove(engine, "commit", fail_once)
    assert [r.status_code for r in responses] == [503, 503]
    assert {r.json["error"]["code"] for r in responses} == {"database_unavailable"}
    assert waiting_count(app, "PERIZINAN") == (0, 0)
    assert take_ticket(app.test_client(), "PERIZINAN", kiosk="K1").json["number"] == "A-001"


def test_the_same_idempotency_key_twice_in_one_batch_gives_one_ticket(app, commits):
    responses = press_together(app, "PERIZINAN", [
        {"kiosk": "K1", "headers": {"Idempotency-Key": "same"}}, {"kiosk": "K1", "headers": {"Idempotency-Key": "same"}}])
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json["token"] == responses[1].json["token"]
    assert "repeated" not in responses[0].json and responses[1].json["repeated"] is True
    assert len(commits) == 1
    assert waiting_count(app, "PERIZINAN") == (1, 1)


def test_priority_and_staff_presses_do_not_join(app, clerk):
    client = app.test_client()
    kiosk_key(app, "K1")
    held = Held(app, "PERIZINAN")
    try:
        # the line is held, yet these are issued at once: they go alone
        assert take_ticket(client, "PERIZINAN", kiosk="K1", priority=True).status_code == 201
        resp = client.post("/api/tickets", json={"service": "PERIZINAN"}, headers=clerk)
        assert resp.status_code == 201, resp.json
    finally:
        held.release()


class Killed(BaseException):
    """What ends a greenlet (GreenletExit) or a thread's request from outside."""


class DiesWhenWoken(threading.Event):
    def wait(self, timeout=None) -> bool:  # noqa: ANN001
        super().wait(timeout)
        raise Killed


def test_a_press_whose_request_ends_while_it_waits_does_not_hold_up_its_line(app):
    """A press made the next leader after its request was ended passes the lead on; the next is issued."""
    client = app.test_client()
    kiosk_key(app, "K1")
    held = Held(app, "PERIZINAN")
    dying = presses.Press("PERIZINAN", "K1", None, prove=lambda: None, describe=lambda t, c: {},
                          woken=DiesWhenWoken())
    died: list[BaseException] = []

    def wait_and_die() -> None:
        with app.app_context():
            try:
                presses.issue_together(dying)
            except Killed as exc:
                died.append(exc)

    first = threading.Thread(target=wait_and_die)
    first.start()
    held.wait_for(1)
    after: list = []
    second = threading.Thread(target=lambda: after.append(take_ticket(client, "PERIZINAN", kiosk="K1")))
    second.start()
    held.wait_for(2)
    held.release()  # the dying press is made the leader, dies, and hands the lead to the second
    first.join(10)
    second.join(10)
    assert died and dying.outcome is presses.Outcome.waiting and dying not in held.line.waiting
    assert after[0].status_code == 201 and after[0].json["number"] == "A-001"
    assert held.line.leader is None and not held.line.waiting
