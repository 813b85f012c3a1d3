"""Server-side printing: stored jobs, the 3-second budget, every fault mode of a network printer,
print agents over /agent, reprint, printer states in /api/health, and the printer CLI."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from printers import PrinterState, make_printer
from printers.fakeserver import FakeNetworkPrinter, Mode
from queue_app.core import clock
from queue_app.core.extensions import db, socketio
from queue_app.core.models import Setting
from queue_app.printing.models import PrinterStatus, PrintJob, PrintJobState
from queue_app.queue.models import EventKind, Ticket, TicketEvent

from ..helpers import TEST_SITE, Staff, built_app, kiosk_headers, make_site

#: the contract: ticket issue never waits on a printer for more than 3 seconds
LIMIT = 3.0

PRINTERS = """
[[printers]]
code = "net"
kind = "network"
host = "127.0.0.1"
port = {port}
profile = "TM-T82II"

[[printers]]
code = "usb-agent"
kind = "agent"
profile = "TM-T82II"

[[kiosks]]
code = "K3"
printer = "net"

[[kiosks]]
code = "K4"
printer = "usb-agent"
"""


@pytest.fixture
def fake():
    printer = FakeNetworkPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture
def papp(tmp_path, fake):
    """The test site plus a network printer at the fake's port (kiosk K3) and an agent printer (K4)."""
    site = make_site(tmp_path, TEST_SITE + PRINTERS.format(port=fake.port))
    with built_app(site, tmp_path / "print.db") as app:
        yield app


@pytest.fixture
def pclient(papp):
    return papp.test_client()


@pytest.fixture
def pstaff(papp):
    return Staff(papp)


def issue(client, kiosk="K3", service="PERIZINAN", **headers):
    headers = kiosk_headers(client.application, kiosk, **headers)
    started = time.monotonic()  # the key is provisioned before the clock starts
    resp = client.post("/api/tickets", json={"service": service, "kiosk": kiosk}, headers=headers)
    return resp, time.monotonic() - started


def jobs(app) -> list[PrintJob]:
    with app.app_context():
        return list(db.session.scalars(sa.select(PrintJob).order_by(PrintJob.id)))


def printer_state(app, code: str) -> str | None:
    with app.app_context():
        row = db.session.get(PrinterStatus, code)
        return row.state if row else None


class TimedPrinter:
    """The real printer of config.toml, timing how long the ticket's print waited on it."""

    def __init__(self, inner):
        self.inner = inner
        self.waited: float | None = None

    @property
    def last_state(self):
        return self.inner.last_state

    def print_slip(self, slip):
        started = time.monotonic()
        try:
            self.inner.print_slip(slip)
        finally:
            self.waited = time.monotonic() - started


# --- a healthy network printer -------------------------------------------------------------------


def test_ticket_is_printed_on_the_kiosk_network_printer(papp, pclient, fake):
    resp, elapsed = issue(pclient)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["print"] == {"status": "printed", "error": None}
    job = fake.wait_for_jobs(1)[0]
    assert job.number == body["number"]
    assert job.cut
    [stored] = jobs(papp)
    assert stored.state == PrintJobState.printed and stored.attempts == 1
    assert stored.payload["number"] == body["number"]
    assert stored.payload["track_url"] == body["track_url"]
    assert printer_state(papp, "net") == "ok"
    assert elapsed < LIMIT


def test_idempotent_repeat_prints_once(papp, pclient, fake):
    first, _ = issue(pclient, **{"Idempotency-Key": "tap-1"})
    again, _ = issue(pclient, **{"Idempotency-Key": "tap-1"})
    assert first.status_code == 201 and again.status_code == 201 and again.get_json()["repeated"] is True
    assert again.get_json()["number"] == first.get_json()["number"]
    assert again.get_json()["print"]["status"] == "printed"
    fake.wait_for_jobs(1)
    time.sleep(0.2)
    assert len(fake.jobs) == 1
    assert len(jobs(papp)) == 1


def test_paper_low_still_prints_and_is_reported(papp, pclient, fake):
    fake.set_mode(Mode.paper_low)
    resp, elapsed = issue(pclient)
    assert resp.status_code == 201
    assert resp.get_json()["print"]["status"] == "printed"
    assert printer_state(papp, "net") == "paper_low"
    health = pclient.get("/api/health").get_json()
    assert health["status"] == "degraded" and health["printers"]["net"] == "paper_low"
    assert elapsed < LIMIT


# --- faults: the ticket is issued anyway, quickly, with the reason --------------------------------


@pytest.mark.parametrize(("mode", "state"), [
    (Mode.refuse, "offline"),
    (Mode.offline, "offline"),
    (Mode.paper_out, "paper_out"),
    (Mode.hang, "offline"),
    (Mode.drop, "offline"),
])
def test_fault_modes_still_issue_the_ticket(papp, pclient, fake, mode, state):
    fake.set_mode(mode)
    printing = papp.extensions["printing"]
    timed = printing.overrides["net"] = TimedPrinter(make_printer(printing.site.printer("net")))
    resp, _ = issue(pclient)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["print"]["status"] == "failed"
    assert body["print"]["error"], "the reason must be given"
    # What is timed is the wait on the printer, the contract's promise: a hung printer takes the full
    # 2 s read timeout, and timing the whole request then measured the loaded CI machine (3.08 s once).
    assert timed.waited is not None and timed.waited < LIMIT, f"{mode}: the printer was still holding the ticket ({timed.waited!r} s)"
    # the ticket is intact and trackable
    view = pclient.get(f"/api/tickets/{body['token']}")
    assert view.status_code == 200 and view.get_json()["number"] == body["number"]
    [stored] = jobs(papp)
    assert stored.state == PrintJobState.failed and stored.last_error
    health = pclient.get("/api/health").get_json()
    assert health["printers"]["net"] == state
    assert health["status"] == "degraded"


def test_printer_recovers_after_a_fault(papp, pclient, fake):
    fake.set_mode(Mode.paper_out)
    assert issue(pclient)[0].get_json()["print"]["status"] == "failed"
    fake.set_mode(Mode.ok)
    resp, _ = issue(pclient)
    assert resp.get_json()["print"]["status"] == "printed"
    assert printer_state(papp, "net") == "ok"


class StuckDriver:
    """A driver that ignores its own timeouts (a wedged USB call, a bug): only the budget saves us."""

    last_state = PrinterState.ok

    def print_slip(self, slip):
        time.sleep(10)

    def status(self):
        time.sleep(10)
        return PrinterState.ok


def test_a_stuck_driver_cannot_hold_ticket_issue(papp, pclient):
    # A 1 s budget, not the default 2.7 s: the driver would hold the request for 10 s, and what is proven is
    # that the budget cuts it. With 2.7 s only 0.3 s of LIMIT was left for the rest of the request, and a
    # clean-clone CI run once spent 1.2 s more than the budget there (3.9 s): the test measured the machine.
    papp.config["PRINT_BUDGET_SECONDS"] = 1.0
    papp.extensions["printing"].overrides["net"] = StuckDriver()
    resp, elapsed = issue(pclient)
    assert resp.status_code == 201
    assert resp.get_json()["print"]["status"] == "failed"
    # the budget is the recorded reason (an anonymous caller reads a generic one: tests/security/test_security_input.py)
    [stored] = jobs(papp)
    assert "within 1s" in stored.last_error
    assert 1.0 <= elapsed < LIMIT


class SlowPrinter:
    """Prints fine, in one second."""

    last_state = PrinterState.ok

    def __init__(self):
        self.slips = []

    def print_slip(self, slip):
        time.sleep(1.0)
        self.slips.append(slip)


def test_a_retry_while_the_first_request_prints_gets_the_real_outcome(papp):
    """The kiosk lost the first answer and retried with the same key while the slip was printing."""
    import threading

    slow = SlowPrinter()
    papp.extensions["printing"].overrides["net"] = slow
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(resp=issue(papp.test_client(), **{"Idempotency-Key": "blip"})[0]))
    thread.start()
    time.sleep(0.4)
    retry, elapsed = issue(papp.test_client(), **{"Idempotency-Key": "blip"})
    thread.join()
    assert first["resp"].status_code == 201 and retry.status_code == 201 and retry.get_json()["repeated"] is True
    assert retry.get_json()["number"] == first["resp"].get_json()["number"]
    assert retry.get_json()["print"] == {"status": "printed", "error": None}
    assert len(slow.slips) == 1 and elapsed < LIMIT


def test_a_first_state_written_meanwhile_by_another_print_is_updated_not_an_error(papp, monkeypatch):
    """Two slips printed at once at a printer with no state yet both find no row: the second's INSERT
    would break the row's key (its slip then reported "failed"), so it updates the row the first wrote."""
    from queue_app.core.database import WRITE_OPTION, begin_write

    with papp.app_context():
        with db.engine.connect() as other, other.execution_options(**{WRITE_OPTION: True}).begin():
            # the other print, committed just after this one looked
            other.execute(sa.insert(PrinterStatus).values(code="net", state="ok", message="",
                                                          checked_at=clock.utcnow()))
        real_get = db.session.get
        looked: list[str] = []

        def get(cls, key, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if cls is PrinterStatus and not looked:
                looked.append(key)
                return None  # what this print saw before the other one committed
            return real_get(cls, key, *args, **kwargs)

        monkeypatch.setattr(db.session, "get", get)
        begin_write()
        papp.extensions["printing"].set_state("net", PrinterState.paper_low, "paper low")
        db.session.commit()
        rows = db.session.execute(sa.select(PrinterStatus.code, PrinterStatus.state)).all()
    assert looked == ["net"] and [tuple(r) for r in rows] == [("net", "paper_low")]


def test_kiosk_without_printer_prints_nothing(papp, pclient, fake):
    resp, _ = issue(pclient, kiosk="K1")
    assert resp.status_code == 201
    assert resp.get_json()["print"] == {"status": "none", "error": None}
    assert jobs(papp) == []


# --- housekeeping --------------------------------------------------------------------------------


def test_housekeeping_checks_network_printers(papp, pclient, fake):
    printing = papp.extensions["printing"]
    fake.set_mode(Mode.paper_out)
    with papp.app_context():
        printing.housekeeping()
    assert printer_state(papp, "net") == "paper_out"
    fake.set_mode(Mode.ok)
    with papp.app_context():
        printing.housekeeping()
    assert printer_state(papp, "net") == "paper_out", "a state checked seconds ago is not probed again"
    clock.travel(timedelta(seconds=31))
    with papp.app_context():
        printing.housekeeping()
    assert printer_state(papp, "net") == "ok"
    # the agent printer is never probed from the server: nobody reported it yet
    assert pclient.get("/api/health").get_json()["printers"]["usb-agent"] == "unknown"


def test_queued_agent_job_expires(papp, pclient, monkeypatch):
    printing = papp.extensions["printing"]

    def waited(*args, **kw):  # noqa: ANN002, ANN003
        raise AssertionError("with no agent connected there is nothing to wait for")

    # the request must not wait for an acknowledgement (asserted on the call, not on a wall clock a busy CI
    # machine stretches past any bound)
    monkeypatch.setattr(printing, "_wait_for", waited)
    resp, _elapsed = issue(pclient, kiosk="K4")
    assert resp.status_code == 201
    assert resp.get_json()["print"]["status"] == "queued"
    with papp.app_context():
        assert printing.expire_jobs() == 0
    clock.travel(timedelta(minutes=31))
    with papp.app_context():
        assert printing.expire_jobs() == 1
    [job] = jobs(papp)
    assert job.state == PrintJobState.failed and job.last_error.startswith("expired")


# --- the /agent namespace -------------------------------------------------------------------------


def agent_key(app, code="usb-agent") -> str:
    from queue_app.printing.agents import create_key

    with app.app_context():
        key = create_key(code)
        db.session.commit()
    return key


def test_agent_key_is_stored_hashed(papp):
    key = agent_key(papp)
    with papp.app_context():
        row = db.session.get(Setting, "printer_key:usb-agent")
        assert key not in str(row.value)
        assert row.value["sha256"] == hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize("auth", [
    None, {"printer": "usb-agent"}, {"printer": "usb-agent", "key": "wrong"}, {"printer": "net", "key": "x"},
    {"printer": 5, "key": []}, {"printer": "nope", "key": "x"},
])
def test_agent_needs_its_device_key(papp, auth):
    agent_key(papp)
    c = socketio.test_client(papp, namespace="/agent", auth=auth)
    assert not c.is_connected("/agent")


def test_agent_gets_jobs_queued_while_offline_and_acks_them(papp, pclient):
    key = agent_key(papp)
    resp, _ = issue(pclient, kiosk="K4")
    body = resp.get_json()
    assert body["print"]["status"] == "queued"
    c = socketio.test_client(papp, namespace="/agent", auth={"printer": "usb-agent", "key": key})
    assert c.is_connected("/agent")
    received = [m for m in c.get_received("/agent") if m["name"] == "print_job"]
    assert len(received) == 1
    job = received[0]["args"][0]
    assert job["slip"]["number"] == body["number"]
    assert job["slip"]["track_url"] == body["track_url"]
    c.emit("printer_status", {"state": "paper_low"}, namespace="/agent")
    assert printer_state(papp, "usb-agent") == "paper_low"
    c.emit("job_result", {"id": job["id"], "ok": True, "state": "paper_low", "error": None}, namespace="/agent")
    [stored] = jobs(papp)
    assert stored.state == PrintJobState.printed
    # a new ticket while the agent is connected is pushed to it at once
    resp2, _ = issue(pclient, kiosk="K4", service="NONIZIN")
    pushed = [m for m in c.get_received("/agent") if m["name"] == "print_job"]
    assert [m["args"][0]["slip"]["number"] for m in pushed] == [resp2.get_json()["number"]]
    c.disconnect("/agent")
    assert printer_state(papp, "usb-agent") == "offline"


def test_agent_failure_and_foreign_acks(papp, pclient):
    key = agent_key(papp)
    issue(pclient, kiosk="K4")
    issue(pclient, kiosk="K3")  # a job of another printer
    c = socketio.test_client(papp, namespace="/agent", auth={"printer": "usb-agent", "key": key})
    job = next(m for m in c.get_received("/agent") if m["name"] == "print_job")["args"][0]
    other = next(j for j in jobs(papp) if j.printer == "net")
    c.emit("job_result", {"id": other.id, "ok": False, "state": "paper_out", "error": "x"}, namespace="/agent")
    c.emit("job_result", "garbage", namespace="/agent")
    c.emit("job_result", {"id": True}, namespace="/agent")
    c.emit("printer_status", {"state": "exploded"}, namespace="/agent")
    c.emit("job_result", {"id": job["id"], "ok": False, "state": "paper_out", "error": "out of paper"},
           namespace="/agent")
    by_printer = {j.printer: j for j in jobs(papp)}
    assert by_printer["net"].state == PrintJobState.printed  # untouched by the foreign ack
    assert by_printer["usb-agent"].state == PrintJobState.failed
    assert by_printer["usb-agent"].last_error == "out of paper"
    assert printer_state(papp, "usb-agent") == "paper_out"
    c.disconnect("/agent")


# --- staff endpoints: printers and reprint ----------------------------------------------------------


def test_reprint_by_token(papp, pclient, fake, pstaff):
    headers = pstaff.headers("clerk9", "clerk", ["L01"])
    body = issue(pclient)[0].get_json()
    fake.wait_for_jobs(1)
    resp = pclient.post(f"/api/tickets/{body['token']}/reprint", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["print"]["status"] == "printed"
    assert resp.get_json()["ticket"]["number"] == body["number"]
    assert [j.number for j in fake.wait_for_jobs(2)] == [body["number"]] * 2
    with papp.app_context():
        events = db.session.scalars(sa.select(TicketEvent).join(Ticket).where(
            Ticket.token == body["token"], TicketEvent.kind == EventKind.reprinted)).all()
        assert len(events) == 1 and events[0].user_id is not None and events[0].details == {"printer": "net"}


def test_reprint_errors(papp, pclient, pstaff):
    headers = pstaff.headers("clerk9", "clerk", ["L01"])
    no_printer = issue(pclient, kiosk="K1")[0].get_json()
    assert pclient.post(f"/api/tickets/{no_printer['token']}/reprint").status_code == 401
    assert pclient.post("/api/tickets/not-a-token/reprint", headers=headers).status_code == 404
    resp = pclient.post(f"/api/tickets/{no_printer['token']}/reprint", headers=headers)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "printer_not_found"
    resp = pclient.post(f"/api/tickets/{no_printer['token']}/reprint", json={"printer": "nope"}, headers=headers)
    assert resp.status_code == 404
    resp = pclient.post(f"/api/tickets/{no_printer['token']}/reprint", json={"printer": 3}, headers=headers)
    assert resp.status_code == 422
    resp = pclient.post(f"/api/tickets/{no_printer['token']}/reprint", data="{", content_type="application/json", headers=headers)
    assert resp.status_code == 400
    resp = pclient.post(f"/api/tickets/{no_printer['token']}/reprint", json={"printer": "net"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["print"]["status"] == "printed"


def test_reprint_at_counter_by_number(papp, pclient, fake, pstaff):
    """Staff never see the visitor's token: a clerk reprints by number a ticket their counter called."""
    clerk = pstaff.headers("clerk9", "clerk", ["L01"])
    body = issue(pclient)[0].get_json()
    fake.wait_for_jobs(1)
    resp = pclient.post("/api/counters/L01/reprint", json={"number": body["number"]}, headers=clerk)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "ticket_not_found"  # not called here
    called = pclient.post("/api/counters/L01/call-next", json={}, headers=clerk).get_json()["ticket"]
    assert called["number"] == body["number"] and "token" not in called
    resp = pclient.post("/api/counters/L01/reprint", json={"number": body["number"]}, headers=clerk)
    assert resp.status_code == 200 and resp.get_json()["print"]["status"] == "printed"
    assert "token" not in resp.get_json()["ticket"]
    assert pclient.post("/api/counters/L01/reprint", headers=clerk).status_code == 200  # the current ticket
    assert [j.number for j in fake.wait_for_jobs(3)] == [body["number"]] * 3
    # reprint is for clerks (at their counters) and admins only
    manager = pstaff.headers("manager1", "manager")
    assert pclient.post("/api/counters/L01/reprint", headers=manager).status_code == 403
    assert pclient.post(f"/api/tickets/{body['token']}/reprint", headers=manager).status_code == 403
    other = pstaff.headers("clerk8", "clerk", ["L02"])
    assert pclient.post("/api/counters/L01/reprint", headers=other).status_code == 403
    admin = pstaff.headers("admin9", "admin")
    assert pclient.post("/api/counters/L01/reprint", json={"number": "a-001"}, headers=admin).status_code == 200


def test_list_printers(papp, pclient, fake, pstaff):
    assert pclient.get("/api/printers").status_code == 401
    headers = pstaff.headers("manager1", "manager")
    issue(pclient)
    fake.set_mode(Mode.paper_out)
    issue(pclient)
    rows = {p["code"]: p for p in pclient.get("/api/printers", headers=headers).get_json()}
    assert rows["net"]["state"] == "paper_out"
    assert rows["net"]["kiosks"] == ["K3"]
    assert rows["net"]["jobs_today"] == {"queued": 0, "printed": 1, "failed": 1}
    assert rows["usb-agent"]["state"] == "unknown" and rows["p1"]["kind"] == "dummy"


# --- the printer CLI ------------------------------------------------------------------------------


def _cli(tmp_path, fake, *args):
    from click.testing import CliRunner

    from queue_app.ops.cli import cli

    config = tmp_path / "site" / "config.toml"
    if not config.exists():
        config.parent.mkdir(parents=True)
        text = TEST_SITE + PRINTERS.format(port=fake.port)
        config.write_text(text.replace('[site]\n', '[site]\nticket_footer = "Terima kasih"\n', 1) + '''
[server]
database_url = "sqlite:///instance/cli.db"
''')
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_printer_preview_writes_a_png(tmp_path, fake):
    out = tmp_path / "preview.png"
    result = _cli(tmp_path, fake, "printer", "preview", "net", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(out) as img:
        assert img.width in (384, 512, 576) and img.height > img.width
    assert _cli(tmp_path, fake, "printer", "preview", "nope").exit_code != 0


def test_printer_key_rotates(tmp_path, fake):
    assert _cli(tmp_path, fake, "db", "upgrade").exit_code == 0
    first = _cli(tmp_path, fake, "printer", "key", "usb-agent")
    second = _cli(tmp_path, fake, "printer", "key", "usb-agent")
    assert first.exit_code == 0 and second.exit_code == 0
    k1, k2 = first.stdout.strip().splitlines()[-1], second.stdout.strip().splitlines()[-1]
    assert len(k1) >= 40 and k1 != k2
    db_file = tmp_path / "site" / "instance" / "cli.db"
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'printer_key:usb-agent'")).scalar()
    engine.dispose()
    assert k2 not in value and hashlib.sha256(k2.encode()).hexdigest() in value
    bad = _cli(tmp_path, fake, "printer", "key", "net")
    assert bad.exit_code != 0 and "agent" in bad.output


# --- a real server and a real print agent ---------------------------------------------------------


@pytest.mark.slow
def test_print_agent_receives_the_job_queued_while_it_was_offline(tmp_path):
    """Issue with the agent away → queued; the agent connects → the job arrives, is acked, is printed."""
    import subprocess
    import sys

    import requests

    from printers.agent import PrintAgent
    from printers.fake import FakePrinter

    from ..livesite import LiveServer

    live = LiveServer(tmp_path / "site", config_text=TEST_SITE + PRINTERS.format(port=9))
    live.start()
    agent = None
    try:
        key = subprocess.run(
            [sys.executable, "-m", "queue_app", "--config", str(live.config_path), "printer", "key", "usb-agent"],
            capture_output=True, text=True, check=True, cwd=live.workdir,
        ).stdout.strip()
        staff = live.token()

        kiosk = live.kiosk_headers("K4")
        started = time.monotonic()
        first = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K4"},
                              headers=kiosk, timeout=10)
        assert first.status_code == 201
        assert first.json()["print"]["status"] == "queued"
        assert time.monotonic() - started < 1, "no agent connected: nothing to wait for"

        paper = FakePrinter("usb-agent", PrinterState.paper_low)
        agent = PrintAgent(live.url, "usb-agent", key, paper, status_interval=60)
        agent.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not paper.slips:
            time.sleep(0.05)
        assert [s.number for s in paper.slips] == [first.json()["number"]]
        assert paper.slips[0].track_url == first.json()["track_url"]

        def printer_row():
            rows = requests.get(live.url + "/api/printers", headers=staff, timeout=5).json()
            return next(p for p in rows if p["code"] == "usb-agent")

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and printer_row()["jobs_today"]["printed"] != 1:
            time.sleep(0.05)
        assert printer_row()["jobs_today"] == {"queued": 0, "printed": 1, "failed": 0}
        assert requests.get(live.url + "/api/health", timeout=5).json()["printers"]["usb-agent"] == "paper_low"

        # with the agent online the request waits (within the budget) for its acknowledgement
        started = time.monotonic()
        second = requests.post(live.url + "/api/tickets", json={"service": "NONIZIN", "kiosk": "K4"},
                               headers=kiosk, timeout=10)
        elapsed = time.monotonic() - started
        assert second.json()["print"] == {"status": "printed", "error": None}
        assert elapsed < LIMIT
        assert [s.number for s in paper.slips][-1] == second.json()["number"]

        # a wrong key is refused
        intruder = PrintAgent(live.url, "usb-agent", "wrong-key", FakePrinter())
        with pytest.raises(Exception, match="(?i)refused|connect|unauthorized|key"):
            intruder._connect_once()

        agent.stop()
        agent = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and printer_row()["state"] != "offline":
            time.sleep(0.05)
        assert printer_row()["state"] == "offline"
    finally:
        if agent is not None:
            agent.stop()
        live.stop()


def test_printer_check_cli_stores_the_state(tmp_path, fake):
    assert _cli(tmp_path, fake, "db", "upgrade").exit_code == 0
    fake.set_mode(Mode.paper_out)
    result = _cli(tmp_path, fake, "printer", "check", "net")
    assert result.exit_code == 1 and "paper_out" in result.stdout
    db_file = tmp_path / "site" / "instance" / "cli.db"
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM printer_status WHERE code = 'net'")).scalar()
    engine.dispose()
    assert state == "paper_out"
    fake.set_mode(Mode.ok)
    assert _cli(tmp_path, fake, "printer", "check", "net").exit_code == 0
