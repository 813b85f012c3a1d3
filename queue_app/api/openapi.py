"""The OpenAPI 3.1 description of /api, served at /api/openapi.json and used by the fuzz tests.

Nothing here describes a body by hand: every path item comes from an endpoint's ``@documented`` metadata
and every schema from the pydantic models in :mod:`queue_app.api.shapes` (:func:`declared_paths`). This
module adds only what belongs to the document as a whole: its info, tags and security schemes.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from queue_app.api.declare import Media, Operation
from queue_app.api.shapes import Error

INFO = {
    "title": "mpp-queue API",
    "version": "1.0.0",
    "description": "Queue and counter system for Mal Pelayanan Publik. Errors share one body: "
                   "{\"error\": {\"code\", \"message\"}}. Times are ISO 8601 with the site's offset.",
}
TAGS = [
    {"name": "public", "description": "Kiosks, visitors' phones, hall displays, monitoring: no sign-in"},
    {"name": "auth", "description": "Staff sign-in for API clients"},
    {"name": "counters", "description": "A clerk's counter: calls, service, transfers (Idempotency-Key honoured)"},
    {"name": "stats", "description": "Figures for managers; a manager scoped to an agency sees only its own"},
    {"name": "printing", "description": "Ticket printers and reprints"},
    {"name": "admin", "description": "Users, closed services, the running text, the audit log"},
]
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                "description": "Browser session; unsafe methods also need the X-CSRFToken header"},
}
STAFF = [{"bearer": []}, {"session": []}]
ERROR_TEXT = {400: "Malformed request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
              409: "Does not fit the current state", 413: "Body over 64 KiB", 415: "Body not application/json",
              422: "Invalid field",
              429: "Rate limited", 503: "Database unavailable"}


def spec() -> dict[str, Any]:
    """The OpenAPI document, built from the declarations (callable without an app context)."""
    schemas: dict[str, Any] = {}
    paths = declared_paths(schemas)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _doc(model: type[BaseModel]) -> str:
    """The first line of a model's docstring: the response's description."""
    return (model.__doc__ or model.__name__).strip().splitlines()[0]


def _listed(reply: Any) -> type[BaseModel] | None:
    """``Model`` of a ``list[Model]`` reply, else None."""
    if isinstance(reply, types.GenericAlias) and typing.get_origin(reply) is list:
        (item,) = typing.get_args(reply)
        return item
    return None


def _response(reply: Any) -> dict[str, Any]:
    if isinstance(reply, type) and issubclass(reply, BaseModel):
        return _json(_ref(reply.__name__), _doc(reply))
    if (item := _listed(reply)) is not None:
        return _json({"type": "array", "items": _ref(item.__name__)}, _doc(item))
    if isinstance(reply, Media):
        return {"description": reply.description, "content": {reply.mime: {"schema": {"type": "string"}}}}
    return {"description": reply or "OK"}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json(_ref("Error"), ERROR_TEXT[c]) for c in codes}


def _operations() -> list[tuple[Any, Operation]]:
    """(URL rule, operation) of every ``@documented`` /api endpoint, read from the app's URL map."""
    from flask import Flask, current_app, has_app_context

    from queue_app.api import bp

    if has_app_context():
        app = current_app
    else:  # the document at import time (tests): the API's routes on a bare app are enough
        app = Flask(__name__)
        app.register_blueprint(bp)
    found = []
    for rule in app.url_map.iter_rules():
        op: Operation | None = getattr(app.view_functions.get(rule.endpoint), "__openapi__", None)
        if op is not None and rule.rule.startswith("/api/"):
            found.append((rule, op))
    return found


def _component_schemas(ops: list[Operation]) -> dict[str, Any]:
    """JSON schemas of every model the operations name (bodies as parsed, responses as sent), and Error."""
    from pydantic.json_schema import models_json_schema

    wanted: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for op in ops:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        for reply in op.responses.values():
            model = _listed(reply) or reply
            if isinstance(model, type) and issubclass(model, BaseModel):
                wanted[(model, "serialization")] = None
    _, defs = models_json_schema(sorted(wanted, key=lambda w: w[0].__name__),  # type: ignore[arg-type]
                                 ref_template="#/components/schemas/{model}")
    return defs.get("$defs", {})


#: path parameters that are more than a string, by name (``/admin/closures/<day>``: a calendar day)
PATH_SCHEMAS: dict[str, dict[str, str]] = {"day": {"type": "string", "format": "date"}}


def declared_paths(schemas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Path items of every ``@documented`` endpoint; their models' schemas are added to ``schemas``."""
    found = _operations()
    schemas.update(_component_schemas([op for _, op in found]))
    out: dict[str, dict[str, Any]] = {}
    for rule, op in found:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        params = [{"name": a, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(a, {"type": "string"})}
                  for a in sorted(rule.arguments)]
        params += [{"name": n, "in": "query", "required": req, "schema": sch, "description": d}
                   for n, (sch, req, d) in op.query.items()]
        params += [{"name": n, "in": "header", "required": req, "schema": sch, "description": d}
                   for n, (sch, req, d) in op.headers.items()]
        responses = {str(status): _response(reply) for status, reply in op.responses.items()}
        entry: dict[str, Any] = {"summary": op.summary, "responses": responses}
        if op.tags:
            entry["tags"] = list(op.tags)
        if params:
            entry["parameters"] = params
        if op.staff:
            entry["security"] = STAFF
        if op.body is not None:
            entry["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": _ref(op.body.__name__)}}}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.setdefault(path, {})[method.lower()] = {
                **entry, "responses": {**responses, **_errors(*op.error_statuses(method))}}
    return out
