"""Structured logs for a log shipper: ``[server] log_format = "json"`` (or ``MPP_QUEUE_LOG_FORMAT=json``) writes one
JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``process`` and, when there is
one, ``exception``. A visitor's token in a message is replaced as in every log line (queue_app.core.errors.redact)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from queue_app.core.errors import redact

#: the loggers gunicorn writes its own lines with
GUNICORN_LOGGERS = ("gunicorn.error", "gunicorn.access")


class JsonFormatter(logging.Formatter):
    """One log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "process": record.process,
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def use_json() -> int:
    """Write every log line as JSON: the root's handlers (one on standard error if it has none) and gunicorn's.

    :return: how many handlers now format JSON.
    """
    formatter = JsonFormatter()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        root.addHandler(handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
    handlers = list(root.handlers)
    for name in GUNICORN_LOGGERS:
        handlers += logging.getLogger(name).handlers
    for handler in handlers:
        handler.setFormatter(formatter)
    return len(handlers)
