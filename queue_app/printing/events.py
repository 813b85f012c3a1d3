"""Printing's Socket.IO namespace and events: jobs to remote print agents, printer states to the dashboard."""

from __future__ import annotations

from typing import Any

from queue_app.api.declare import Answer
from queue_app.core.events import declare, namespace

AGENT = namespace("/agent", who="remote print agents (printers/agent.py)", access=True,
                  auth='`{"printer": CODE, "key": KEY}` (the printer\'s agent key, `mpp-queue printer key CODE`)')
DASHBOARD = "/dashboard"


class PrintJobMessage(Answer):
    """A slip to print; the agent answers with its result (the ack, else a ``job_result`` event)."""

    id: int
    slip: dict[str, Any]


class PrinterChanged(Answer):
    code: str
    state: str
    message: str


print_job = declare("print_job", AGENT, payload=PrintJobMessage,
                    summary="A slip to print (every queued job on connect, then each new one).")
job_result = declare("job_result", AGENT, payload=None, direction="client",
                     summary='`{"id", "ok", "state", "error"}`: how a job went.')
printer_status = declare("printer_status", AGENT, payload=None, direction="client",
                         summary='`{"state"}`: the printer\'s state, on connect and every 15 s.')
printer_changed = declare("printer_changed", DASHBOARD, payload=PrinterChanged,
                          summary="A printer's state changed.")
