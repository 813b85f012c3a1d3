"""What IT sees of a running site: ``GET /metrics`` for Prometheus and JSON logs for a log shipper.

Series (contract, "Metrics"): ``mppq_tickets_issued_total{service}``, ``mppq_calls_total{counter}``,
``mppq_wait_seconds{service}`` (histogram), ``mppq_print_jobs_total{status}``,
``mppq_notify_messages_total{kind,status}``, ``mppq_sockets{namespace}``,
``mppq_http_request_duration_seconds{route,method,status}`` (histogram), and from the database at scrape time
``mppq_waiting{service}``, ``mppq_oldest_wait_seconds{service}``, ``mppq_target_wait_seconds{service}`` and the
printers' ``mppq_printer_up{printer}``. Tickets and calls are counted by listening to the ticket signals;
other features count through :func:`count_notify_message` and :func:`count_print_job`, or add gauges with
:func:`register_gauges`. Several processes: :mod:`queue_app.metrics.processes`. docs/operations.md, "Metrics".

This package sits below the features (they call it to count), above the queue (it listens to its signals).
"""

from __future__ import annotations

from flask import Flask

from .gauges import register as register_gauges
from .series import count_notify_message, count_print_job

__all__ = ["count_notify_message", "count_print_job", "init_app", "register_gauges"]


def init_app(app: Flask) -> None:
    """Count in the site's folder when this is a serving process, listen to the ticket signals, time every
    request, serve /metrics, and switch the logs to JSON when the site asks for it."""
    from . import http, logs, processes, receivers

    site = app.extensions["site"]
    if processes.wanted() and not app.testing and site.metrics_dir is not None:
        processes.enable(site.metrics_dir)
    receivers.connect()
    # first before every other hook (CSRF, sign-in, the idle timeout), so the time is the request's own
    app.before_request_funcs.setdefault(None, []).insert(0, http.start_timer)
    app.after_request(http.observe)
    app.register_blueprint(http.bp)
    if site.log_format == "json":
        logs.use_json()
