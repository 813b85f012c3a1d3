"""Expected failures of queue operations and the one JSON error body every client sees."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from . import error_texts  # noqa: F401  (registers the errors.<code> texts)
from .i18n import gettext, has, translate

logger = logging.getLogger(__name__)


#: the language of the API's error messages: clients act on ``code``; ``message`` is for people reading
#: logs and integrators, and stays the same text whatever a screen's language
API_LANG = "en"


def api_message(code: str, **values: object) -> str:
    return translate(API_LANG, f"errors.{code}", **values)


class QueueError(Exception):
    """An expected, user-facing failure of a queue operation."""

    status_code = 409
    code = "queue_error"

    def __init__(self, message: str | None = None, *, text: str | None = None, values: dict[str, Any] | None = None,
                 **details: Any):
        """``text`` names a message of its own in the i18n catalog (``errors.<text>``, filled with ``values``):
        the API answers its English, a page or an admin screen shows it in the screen's language."""
        # the default text lives in the i18n catalog (errors.<code>); the docstring only for codes not there
        self.text, self.values = text, values or {}
        if text is not None and message is None:
            message = api_message(text, **self.values)
        self.default_message = message is None
        super().__init__(message or (api_message(self.code) if has(f"errors.{self.code}") else self.__doc__))
        self.details = details

    def page_message(self) -> str:
        """The text for an HTML page (an error page, an admin's form): in the screen's language whenever the
        catalog has it; only a message made up on the spot stays as it was written."""
        if self.text is not None:
            return gettext(f"errors.{self.text}", **self.values)
        return gettext(f"errors.{self.code}") if self.default_message and has(f"errors.{self.code}") else str(self)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self), **self.details}


class BadRequest(QueueError):
    """The request is malformed."""

    status_code, code = 400, "bad_request"


class UnsupportedMediaType(QueueError):
    """Send the body as application/json."""

    status_code, code = 415, "unsupported_media_type"


class ValidationFailed(QueueError):
    """A field has the wrong type or value."""

    status_code, code = 422, "validation_failed"


class NotFound(QueueError):
    """No such thing."""

    status_code, code = 404, "not_found"


class ServiceNotFound(NotFound):
    """No such service."""

    code = "service_not_found"


class CounterNotFound(NotFound):
    """No such counter."""

    code = "counter_not_found"


class KioskNotFound(NotFound):
    """No such kiosk."""

    code = "kiosk_not_found"


class InvalidTransition(QueueError):
    """That action does not fit the ticket's or counter's state."""

    code = "invalid_state"


class Unauthorized(QueueError):
    """Sign in first."""

    status_code, code = 401, "unauthorized"


class Forbidden(QueueError):
    """You may not do that."""

    status_code, code = 403, "forbidden"


class RateLimited(QueueError):
    """Too many requests; wait a moment."""

    status_code, code = 429, "rate_limited"


#: a visitor's token in a path (/t/<token>, /api/tickets/<token>/..., a complaint's /pengaduan/<token> and
#: /api/complaints/<token>) or a query (?token=...)
_TOKEN_IN_PATH = re.compile(r"(/t/|/api/tickets/|/api/complaints/|/pengaduan/|[?&]token=)[^/?&#\s]+")


def redact(text: str) -> str:
    """``text`` (a path, a request line) with every visitor token replaced by ``<token>``."""
    return _TOKEN_IN_PATH.sub(r"\1<token>", text)


def log_route() -> str:
    """What a log line names for this request: the route (``/api/tickets/<token>``), never the raw path.

    A ticket's token is the visitor's only key to their ticket; logs are read by more people (and kept
    longer) than the database.
    """
    if request.url_rule is not None:
        return request.url_rule.rule
    return redact(request.path)


def error_body(code: str, message: str, status: int, **details: Any) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, **details}}), status


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors; browsers get a page."""
    if request.path.startswith("/api/") or request.path.startswith("/socket.io"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def register_error_handlers(app: Flask) -> None:
    """Turn QueueError and HTTP errors into the contract's error body (or a friendly page)."""
    from queue_app.core.extensions import db

    @app.errorhandler(QueueError)
    def handle_queue_error(exc: QueueError):
        db.session.rollback()
        # a refused rate says when to come back (RFC 9110 Retry-After, in seconds)
        retry = exc.details.get("retry_after")
        headers = {"Retry-After": str(retry)} if isinstance(retry, int) else {}
        if wants_json():
            return jsonify({"error": exc.to_dict()}), exc.status_code, headers
        return render_template("error.html", code=exc.status_code, message=exc.page_message()), exc.status_code, headers

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        # rollback so rendering the error page cannot trigger an autoflush of a half-done change
        db.session.rollback()
        status = exc.code or 500
        code = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
            429: "rate_limited",
        }.get(status, "http_error")
        message = exc.description or exc.name
        if status == 413:
            message = api_message(code)
        if wants_json():
            return error_body(code, message, status)
        # a page speaks the screen's language (werkzeug's descriptions are English)
        from flask_wtf.csrf import CSRFError

        key = "csrf" if isinstance(exc, CSRFError) else code
        page_text = gettext(f"errors.{key}") if has(f"errors.{key}") else message
        return render_template("error.html", code=status, message=page_text), status

    @app.errorhandler(OperationalError)
    def handle_database_down(exc: OperationalError):
        # the database went away (PostgreSQL restart, disk full...): say so instead of a bare 500;
        # the pool's pre-ping reconnects on the next request once it is back
        with contextlib.suppress(Exception):
            db.session.rollback()
        logger.warning("Database unavailable on %s %s: %s", request.method, log_route(), exc.orig)
        if wants_json():
            return error_body("database_unavailable", api_message("database_unavailable"), 503)
        return render_template("error.html", code=503, message=gettext("errors.database_unavailable")), 503

    @app.errorhandler(sa_exc.TimeoutError)
    def handle_pool_exhausted(exc: sa_exc.TimeoutError):
        # every pooled connection stayed busy for the pool's whole timeout (a burst far past what the site was
        # sized for): the request did nothing; say so, with when to try again, instead of a bare 500
        with contextlib.suppress(Exception):
            db.session.rollback()
        logger.warning("No database connection free on %s %s: %s", request.method, log_route(), exc)
        if wants_json():
            response = error_body("server_busy", api_message("server_busy"), 503)
        else:
            response = render_template("error.html", code=503, message=gettext("errors.server_busy")), 503
        response = app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        if app.testing and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise exc
        logger.exception("Unhandled error on %s %s", request.method, log_route())
        if wants_json():
            return error_body("internal_error", api_message("internal_error"), 500)
        return render_template("error.html", code=500, message=gettext("errors.internal_error")), 500
