"""The /agent Socket.IO namespace: print agents on kiosk PCs that drive a USB printer.

An agent connects with ``auth: {"printer": CODE, "key": KEY}``. The key is a device credential of
kind ``agent`` (:mod:`queue_app.staff.devices`), created with ``mpp-queue printer key CODE``: stored
only as its SHA-256 (row ``printer_key:<CODE>``); a new key disconnects the agent that used the old
one (room ``device:agent:<CODE>``). One agent serves one ``kind = "agent"`` printer.

Server → agent: ``print_job {"id", "slip"}`` (``slip`` = ``printers.TicketSlip.to_dict()``), for every
queued job on connect and for each new job. Agent → server: ``job_result {"id", "ok", "state",
"error"}`` and ``printer_status {"state"}`` (on connect and every 15 s). Deliveries go to the room
``printer:<CODE>``, so with several server processes (Redis message queue) a job reaches the
agent whichever process it is connected to; results come back as events, not acks, for the same reason.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_socketio import Namespace, emit, join_room

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.extensions import db, socketio
from queue_app.printing import events
from queue_app.printing.models import PrintJob, PrintJobState
from queue_app.staff import devices

logger = logging.getLogger(__name__)

NAMESPACE = events.AGENT
KIND = "agent"
STATES = ("ok", "offline", "paper_low", "paper_out", "unknown")

#: sid -> printer code of the agents connected to this process
_agents: dict[str, str] = {}
#: sid -> the key fingerprint it connected with, so :func:`sweep_agents` notices a rotation
_agent_keys: dict[str, str | None] = {}


def create_key(code: str) -> str:
    """Create or replace the device key of an agent printer; the plain key is returned once, never stored.

    The agent connected with the old key is disconnected once the caller commits.
    """
    return devices.create_key(KIND, code)


def check_key(code: str, key: Any) -> bool:
    return devices.check_key(KIND, code, key)


def sweep_agents() -> int:
    """Disconnect this process's agents whose key was replaced unannounced (a command line without the
    message queue). :return: how many."""
    ended = 0
    for sid, code in list(_agents.items()):
        if not socketio.server.manager.is_connected(sid, NAMESPACE):
            _agents.pop(sid, None)
            _agent_keys.pop(sid, None)
        elif devices.key_fingerprint(KIND, code) != _agent_keys.get(sid):
            socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            ended += 1
    return ended


def job_message(job: PrintJob) -> dict[str, Any]:
    return {"id": job.id, "slip": job.payload}


def _on_ack(app: Any, code: str) -> Any:
    """The Socket.IO acknowledgement of a delivered job: the agent's handler returns its result."""

    def ack(result: Any = None, *_: Any) -> None:
        with app.app_context():
            try:
                handle_result(code, result)
            finally:
                db.session.rollback()

    return ack


def deliver(job: PrintJob) -> None:
    """Send a queued job to the agent of its printer; counts as an attempt.

    An agent connected to this process gets it with an acknowledgement request (its answer comes
    back even when its ``job_result`` event is lost); one connected to another process is reached
    through the room over the message queue and answers with ``job_result``.
    """
    job.attempts += 1
    job.updated_at = clock.utcnow()
    local = [sid for sid, code in list(_agents.items()) if code == job.printer]
    app = current_app._get_current_object()
    for sid in local:
        socketio.emit(events.print_job, job_message(job), namespace=NAMESPACE, to=sid,
                      callback=_on_ack(app, job.printer))
    if not local:
        socketio.emit(events.print_job, job_message(job), namespace=NAMESPACE, to=f"printer:{job.printer}")


def handle_result(code: str, data: Any) -> None:
    """An agent's answer for one job: printed, or failed with the printer's state and reason."""
    printing = current_app.extensions["printing"]
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or isinstance(data.get("id"), bool):
        return
    begin_write()
    job = db.session.get(PrintJob, data["id"])
    if job is None or job.printer != code:  # an agent only answers for its own printer
        return
    ok = data.get("ok") is True
    state = data.get("state") if data.get("state") in STATES else ("ok" if ok else "unknown")
    error = data.get("error") if isinstance(data.get("error"), str) else ""
    # printed wins even over an expiry: the visitor has the paper
    if ok:
        job.state = PrintJobState.printed
        job.last_error = ""
    elif job.state == PrintJobState.queued:
        job.state = PrintJobState.failed
        job.last_error = (error or "the print agent could not print")[:300]
    job.updated_at = clock.utcnow()
    printing.set_state(code, state, "" if ok else error)
    db.session.commit()


class AgentNamespace(Namespace):
    """Print agents; see the module docstring for the protocol."""

    def on_connect(self, auth: Any = None) -> None:
        site = current_app.extensions["site"]
        printing = current_app.extensions["printing"]
        code = auth.get("printer") if isinstance(auth, dict) else None
        key = auth.get("key") if isinstance(auth, dict) else None
        try:
            conf = site.printer(code) if isinstance(code, str) else None
            if conf is None or conf.kind != "agent":
                raise ConnectionRefusedError("unknown agent printer")
            if not check_key(code, key):
                logger.warning("print agent for %s refused: wrong device key (from %s)", code, request.remote_addr)
                raise ConnectionRefusedError("wrong device key")
            _agents[request.sid] = code
            _agent_keys[request.sid] = devices.key_fingerprint(KIND, code)
            join_room(f"printer:{code}")
            join_room(devices.device_room(KIND, code))
            begin_write()
            printing.set_state(code, "unknown", "print agent connected")
            jobs = db.session.scalars(
                sa.select(PrintJob).where(PrintJob.printer == code, PrintJob.state == PrintJobState.queued,
                                          PrintJob.expires_at > clock.utcnow()).order_by(PrintJob.id)
            ).all()
            ack = _on_ack(current_app._get_current_object(), code)
            for job in jobs:  # what queued up while it was away
                job.attempts += 1
                job.updated_at = clock.utcnow()
                emit(events.print_job, job_message(job), callback=ack)
            db.session.commit()
            logger.info("print agent for %s connected from %s; %d queued job(s) sent", code,
                        request.remote_addr, len(jobs))
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _agent_keys.pop(request.sid, None)
        code = _agents.pop(request.sid, None)
        if code is None or code in _agents.values():
            return
        try:
            begin_write()
            current_app.extensions["printing"].set_state(code, "offline", "print agent disconnected")
            db.session.commit()
        finally:
            db.session.rollback()

    def on_job_result(self, data: Any = None) -> None:
        code = _agents.get(request.sid)
        if code is None:
            return
        try:
            handle_result(code, data)
        finally:
            db.session.rollback()

    def on_printer_status(self, data: Any = None) -> None:
        code = _agents.get(request.sid)
        state = data.get("state") if isinstance(data, dict) else None
        if code is None or state not in STATES:
            return
        message = data.get("message") if isinstance(data.get("message"), str) else ""
        try:
            begin_write()
            current_app.extensions["printing"].set_state(code, state, message)
            db.session.commit()
        finally:
            db.session.rollback()
