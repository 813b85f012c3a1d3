"""Ticket printing: stored print jobs, direct printers, and the /agent namespace of remote print agents."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from queue_app.core import signals
from queue_app.core.extensions import db, socketio
from queue_app.core.outbox import Pending
from queue_app.core.siteconfig import SiteConf

from .agents import AgentNamespace
from .jobs import Printing

logger = logging.getLogger(__name__)

_registered = False


def init_app(app: Flask, site: SiteConf) -> None:
    """Install the app's printing service, the /agent namespace, and job delivery after commit."""
    global _registered
    from . import metrics

    app.extensions["printing"] = Printing(app, site)
    metrics.connect()
    if not _registered:
        _registered = True
        socketio.on_namespace(AgentNamespace("/agent"))
        signals.committed.connect(_dispatch_jobs)


def _dispatch_jobs(app: Flask, pending: Pending, **_: Any) -> None:
    """Print jobs queued by a committed transaction go to their agents, off the request path."""
    if not pending.print_jobs:
        return
    if app.config.get("HUB_INLINE_REFRESH"):
        _deliver(app, set(pending.print_jobs))
    else:
        socketio.start_background_task(_deliver, app, set(pending.print_jobs))


def _deliver(app: Flask, job_ids: set[int]) -> None:
    with app.app_context():
        try:
            app.extensions["printing"].dispatch(job_ids)
        except Exception:  # the job stays queued; the agent gets it on its next connect or poll
            logger.exception("print job delivery failed")
            if app.testing:
                raise
        finally:
            db.session.rollback()
