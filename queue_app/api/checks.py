"""Every /api answer checked against its declaration, in one place, when the app runs with ``CHECK_SHAPES``.

The handlers build plain dicts (fast, and the Socket.IO path shares them); the OpenAPI document is built from
the pydantic models an endpoint's ``@documented`` names. With ``CHECK_SHAPES`` on (every test app, and the test
servers through ``MPP_QUEUE_CHECK_SHAPES=1``) each answer is validated, strictly and closed, against the model
declared for its status, and an error status must be one the endpoint declares, with the contract's error body;
a mismatch fails the request loudly. Production skips it: the models describe, the tests hold the code to them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from pydantic import TypeAdapter

from queue_app.api.declare import Media, Operation
from queue_app.api.shapes import Error

_adapters: dict[Any, TypeAdapter] = {}


def _adapter(reply: Any) -> TypeAdapter:
    key = id(reply)
    if key not in _adapters:
        _adapters[key] = TypeAdapter(reply)
    return _adapters[key]


class ShapeMismatch(AssertionError):
    """An answer that is not what its endpoint declares."""


def check_answer(resp: Response) -> Response:
    """Validate ``resp`` against the current endpoint's declaration (an after-request hook)."""
    view = current_app.view_functions.get(request.endpoint or "")
    op: Operation | None = getattr(view, "__openapi__", None)
    if op is None or resp.status_code in (304, 405) or resp.is_streamed and resp.status_code < 300:
        return resp
    status = resp.status_code
    reply = op.responses.get(status)
    where = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
    if reply is None:
        if status not in op.error_statuses(request.method) and status < 500:
            raise ShapeMismatch(f"{where} answered {status}, which it does not declare")
        _validate(Error, resp, where, status)
    elif isinstance(reply, Media):
        if resp.mimetype != reply.mime:
            raise ShapeMismatch(f"{where} answered {resp.mimetype}, declared {reply.mime}")
    elif not isinstance(reply, str):
        _validate(reply, resp, where, status)
    return resp


def _validate(model: Any, resp: Response, where: str, status: int) -> None:
    try:
        _adapter(model).validate_json(resp.get_data(), strict=True)
    except Exception as exc:
        raise ShapeMismatch(f"{where} {status}: the body is not its declared shape: {exc}") from exc


def init_app(app: Flask) -> None:
    """Check every /api answer when ``CHECK_SHAPES`` is set."""
    if app.config.get("CHECK_SHAPES"):
        from queue_app.api import bp

        app.after_request_funcs.setdefault(bp.name, []).append(check_answer)
