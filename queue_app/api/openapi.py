"""The OpenAPI 3 description of /api, served at /api/openapi.json and used by the fuzz tests.

Endpoints decorated with :func:`queue_app.api.declare.documented` are described from their pydantic
models (:func:`declared_paths`); the hand-written entries below cover the rest and give way to them.
"""

from __future__ import annotations

from typing import Any

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None, *, extra: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if not extra:
        out["additionalProperties"] = False
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = _json(_ref("Error"), "Error")
COUNTER_CODE = {"name": "code", "in": "path", "required": True, "schema": STR}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Malformed request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
            409: "Does not fit the current state", 413: "Body over 64 KiB", 415: "Body not application/json",
            422: "Invalid field",
            429: "Rate limited", 503: "Database unavailable"}
    return {str(c): {**ERR, "description": text[c]} for c in codes}


def _counter_action(summary: str, body: dict[str, Any] | None = None, *, required: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": ["counters"],
        "summary": summary,
        "security": [{"bearer": []}, {"session": []}],
        "parameters": [COUNTER_CODE, {"name": "Idempotency-Key", "in": "header", "required": False,
                                      "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"}}],
        "responses": {"200": _json(_obj({"ticket": {"oneOf": [_ref("StaffTicket"), {"type": "null"}]},
                                         "replayed": BOOL}, ["ticket"]),
                                   "The counter's current ticket after the action"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)},
    }
    if body is not None:
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": body}}}
    return {"post": op}


def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    ticket_states = ["waiting", "called", "serving", "done", "no_show", "cancelled"]
    schemas = {
        "Error": _obj({"error": _obj({"code": STR, "message": STR}, ["code", "message"])}, ["error"]),
        "CounterRef": _obj({"code": STR, "name": STR}, ["code", "name"]),
        "StaffTicket": _obj({
            "number": STR, "service": STR, "status": {"type": "string", "enum": ticket_states},
            "priority": BOOL, "issued_at": TIME, "called_at": TIME, "started_at": TIME, "finished_at": TIME,
            "counter": {"oneOf": [_ref("CounterRef"), {"type": "null"}]}, "recalls": INT,
            "last_called_at": TIME, "token": STR,
        }, ["number", "service", "status", "priority", "issued_at", "called_at", "started_at", "finished_at",
            "counter", "recalls"]),
        "PublicTicket": _obj({
            "number": STR, "service": STR, "service_name": STR,
            "status": {"type": "string", "enum": ticket_states}, "priority": BOOL,
            "ahead": INT, "estimated_wait_seconds": NULLABLE_INT,
            "counter": {"oneOf": [_ref("CounterRef"), {"type": "null"}]},
            "issued_at": TIME, "called_at": TIME, "finished_at": TIME,
        }, ["number", "service", "status", "ahead", "estimated_wait_seconds", "counter", "issued_at", "called_at",
            "finished_at"]),
        "Service": _obj({
            "code": STR, "name": STR, "name_en": STR, "agency": STR, "agency_name": STR, "prefix": STR,
            "waiting": INT, "estimated_wait_seconds": INT, "open": BOOL,
            "closed_reason": {"type": ["string", "null"]}, "closed_message": STR,
            "hours": {"type": ["string", "null"]}, "target_wait_minutes": INT,
        }, ["code", "name", "agency", "prefix", "waiting", "estimated_wait_seconds", "open"]),
        "IssuedTicket": _obj({
            "number": STR, "service": STR, "service_name": STR, "agency": STR, "agency_name": STR, "token": STR,
            "status": {"type": "string", "enum": ["waiting"]}, "priority": BOOL, "ahead": INT,
            "estimated_wait_seconds": NULLABLE_INT, "track_url": {"type": "string", "format": "uri"},
            "issued_at": {"type": "string", "format": "date-time"},
            "print": _obj({"status": {"type": "string", "enum": ["printed", "queued", "failed", "none"]},
                           "error": {"type": ["string", "null"]}}, ["status", "error"]),
        }, ["number", "service", "token", "status", "ahead", "estimated_wait_seconds", "track_url", "issued_at",
            "print"]),
        "Counter": _obj({
            "code": STR, "name": STR, "zone": STR, "services": {"type": "array", "items": STR},
            "state": {"type": "string", "enum": ["open", "paused"]},
            "current": {"oneOf": [_ref("StaffTicket"), {"type": "null"}]},
        }, ["code", "name", "zone", "services", "state", "current"]),
        "Figures": _obj({
            "issued": INT, "served": INT, "no_show": INT, "cancelled": INT, "waiting_now": INT,
            "avg_wait_seconds": NULLABLE_INT, "p90_wait_seconds": NULLABLE_INT,
            "avg_service_seconds": NULLABLE_INT, "within_target_pct": {"type": ["number", "null"]},
        }, ["issued", "served", "no_show", "cancelled", "waiting_now", "avg_wait_seconds", "p90_wait_seconds",
            "avg_service_seconds", "within_target_pct"]),
        "Board": _obj({
            "site": STR, "zone": {"type": ["string", "null"]}, "zones": {"type": "array", "items": STR},
            "seq": {"type": "object", "additionalProperties": INT}, "now": STR, "running_text": STR,
            "latest": {"oneOf": [{"type": "object"}, {"type": "null"}]},
            "recent": {"type": "array", "items": {"type": "object"}},
            "counters": {"type": "array", "items": {"type": "object"}},
            "services": {"type": "array", "items": {"type": "object"}},
        }, ["zones", "seq", "recent", "counters", "services"]),
    }
    date_params = [
        {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
    ]
    # the stats endpoints also take ?month=YYYY-MM (instead of from/to) and ?agency=CODE (admins and
    # unscoped managers narrow to one agency; a scoped manager asking for another gets 403)
    stats_params = [
        *date_params,
        {"name": "month", "in": "query", "required": False,
         "schema": {"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"}},
        {"name": "agency", "in": "query", "required": False, "schema": STR},
    ]
    stats_security = [{"bearer": []}, {"session": []}]
    paths: dict[str, Any] = {
        "/api/services": {"get": {
            "tags": ["public"], "summary": "Services a kiosk offers, with waiting counts and estimates",
            "parameters": [{"name": "kiosk", "in": "query", "required": False, "schema": STR}],
            "responses": {"200": _json({"type": "array", "items": _ref("Service")}, "Services"), **_errors(404)},
        }},
        "/api/tickets/{token}": {"get": {
            "tags": ["public"], "summary": "A visitor's view of one ticket",
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": STR}],
            "responses": {"200": _json(_ref("PublicTicket"), "Ticket"), **_errors(404)},
        }},
        "/api/display": {"get": {
            "tags": ["public"], "summary": "The board snapshot a hall display shows",
            "parameters": [{"name": "zone", "in": "query", "required": False, "schema": STR}],
            "responses": {"200": _json(_ref("Board"), "Board"), **_errors(404)},
        }},
        "/api/health": {"get": {
            "tags": ["public"], "summary": "Database and printer health",
            "responses": {
                "200": _json(_obj({"status": {"type": "string", "enum": ["ok", "degraded"]}, "database": STR,
                                   "printers": {"type": "object", "additionalProperties": STR}},
                                  ["status", "database", "printers"]), "Up"),
                "503": _json({"type": "object"}, "Database unreachable"),
            },
        }},
        "/api/auth/token": {"post": {
            "tags": ["auth"], "summary": "Exchange credentials for a bearer token",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _obj(
                {"username": {"type": "string", "minLength": 1}, "password": {"type": "string", "minLength": 1}},
                ["username", "password"])}}},
            "responses": {"200": _json(_obj({"token": STR, "role": {"type": "string",
                                                                    "enum": ["clerk", "manager", "admin"]},
                                             "expires_at": STR, "counters": {"type": "array", "items": STR}},
                                            ["token", "role", "expires_at"]), "Token"),
                          **_errors(400, 401, 413, 422, 429)},
        }},
        "/api/me": {"get": {
            "tags": ["auth"], "summary": "The signed-in user", "security": [{"bearer": []}, {"session": []}],
            "responses": {"200": _json({"type": "object"}, "User"), **_errors(401)},
        }},
        "/api/counters": {"get": {
            "tags": ["counters"], "summary": "Every counter with its state and current ticket",
            "security": [{"bearer": []}, {"session": []}],
            "responses": {"200": _json({"type": "array", "items": _ref("Counter")}, "Counters"), **_errors(401)},
        }},
        "/api/counters/{code}/call-next": _counter_action(
            "Call the next waiting ticket (null when nobody waits)", _obj({"finish_current": BOOL})),
        "/api/counters/{code}/call": _counter_action(
            "Call a given waiting number out of order", _obj({"number": {"type": "string", "minLength": 1}},
                                                             ["number"]), required=True),
        "/api/counters/{code}/recall": _counter_action("Announce the current ticket again"),
        "/api/counters/{code}/start": _counter_action("The visitor arrived: serving"),
        "/api/counters/{code}/finish": _counter_action("Done"),
        "/api/counters/{code}/no-show": _counter_action("The visitor did not come"),
        "/api/counters/{code}/transfer": _counter_action(
            "Send the current ticket to another service's queue",
            _obj({"service": {"type": "string", "minLength": 1}}, ["service"]), required=True),
        "/api/counters/{code}/pause": _counter_action("Stop taking calls"),
        "/api/counters/{code}/resume": _counter_action("Take calls again"),
        "/api/stats/summary": {"get": {
            "tags": ["stats"], "summary": "Figures per service and in total for a range of local days",
            "security": stats_security, "parameters": stats_params,
            "responses": {"200": _json(_obj({
                "from": STR, "to": STR,
                "services": {"type": "array", "items": {"allOf": [_obj({"code": STR}, ["code"]), _ref("Figures")]}},
                "total": _ref("Figures")}, ["from", "to", "services", "total"]), "Summary"),
                **_errors(401, 403, 404, 422)},
        }},
        "/api/stats/export.csv": {"get": {
            "tags": ["stats"], "summary": "One CSV row per ticket with every timestamp",
            "security": stats_security, "parameters": stats_params,
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": STR}}},
                          **_errors(401, 403, 404, 422)},
        }},
        "/api/stats/export.xlsx": {"get": {
            "tags": ["stats"], "summary": "Monthly recap workbook in Bahasa Indonesia (default: this month)",
            "security": stats_security, "parameters": stats_params,
            "responses": {"200": {"description": "Excel workbook", "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": STR}}},
                **_errors(401, 403, 404, 422)},
        }},
        "/api/stats/report": {"get": {
            "tags": ["stats"], "summary": "Figures per agency, service, counter and clerk, wait histogram, heat map",
            "security": stats_security, "parameters": stats_params,
            "responses": {"200": _json(_obj({
                "from": STR, "to": STR, "total": _ref("Figures"),
                "services": {"type": "array", "items": _ref("Figures")},
                "agencies": {"type": "array", "items": _ref("Figures")},
                "counters": {"type": "array", "items": {"type": "object"}},
                "clerks": {"type": "array", "items": {"type": "object"}},
                "wait_histogram": {"type": "array", "items": _obj({"from": INT, "to": NULLABLE_INT, "count": INT})},
                "heatmap": _obj({"mode": STR, "days": {"type": "array"}, "hours": {"type": "array", "items": INT},
                                 "cells": {"type": "array"}, "max": INT}),
            }, ["from", "to", "total", "services", "agencies", "counters", "clerks"]), "Report"),
                **_errors(401, 403, 404, 422)},
        }},
        "/api/stats/dashboard": {"get": {
            "tags": ["stats"], "summary": "The live dashboard's snapshot: queues, counters, today's figures, charts",
            "security": stats_security, "parameters": [{"name": "agency", "in": "query", "required": False,
                                                       "schema": STR}],
            "responses": {"200": _json(_obj({
                "day": STR, "at": STR, "services": {"type": "array", "items": {"type": "object"}},
                "counters": {"type": "array", "items": {"type": "object"}}, "today": _ref("Figures"),
                "hourly": {"type": "object"}, "wait_histogram": {"type": "array"},
            }, ["day", "at", "services", "counters", "today"]), "Snapshot"),
                **_errors(401, 403, 404)},
        }},
    }
    paths.update(_panel_and_admin_paths())
    paths.update(_printing_paths())
    for path, ops in declared_paths(schemas).items():
        paths.setdefault(path, {}).update(ops)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mpp-queue API", "version": "1.0.0",
                 "description": "Queue and counter system for Mal Pelayanan Publik. Errors share one body: "
                                "{\"error\": {\"code\", \"message\"}}. Times are ISO 8601 with the site's offset."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "Browser session; unsafe methods also need the X-CSRFToken header"},
            },
        },
    }


def _panel_and_admin_paths() -> dict[str, Any]:
    """The clerk panel's read endpoint and the admin endpoints (queue_app/api/panel.py, api/admin.py)."""
    staff = [{"bearer": []}, {"session": []}]
    user = _obj({"username": STR, "full_name": STR, "role": STR, "active": BOOL, "agency": {"type": ["string", "null"]},
                 "counters": {"type": "array", "items": STR}, "created_at": TIME},
                ["username", "role", "active", "counters"])
    service = _obj({"code": STR, "name": STR, "agency": STR, "prefix": STR, "closed_today": BOOL,
                    "closed_reason": STR}, ["code", "closed_today", "closed_reason"])
    username = {"name": "username", "in": "path", "required": True, "schema": STR}
    code = {"name": "code", "in": "path", "required": True, "schema": STR}

    def op(summary: str, ok: dict[str, Any], *, errors: tuple[int, ...], params: list | None = None,
           body: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
        out: dict[str, Any] = {"tags": ["admin"], "summary": summary, "security": staff,
                               "responses": {status: ok, **_errors(*errors)}}
        if params:
            out["parameters"] = params
        if body is not None:
            out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        return out

    write = (400, 401, 403, 404, 409, 413, 422)
    return {
        "/api/counters/{code}/queue": {"get": {
            "tags": ["counters"], "summary": "What a clerk panel shows: waiting list, own tally, counter state",
            "security": staff, "parameters": [COUNTER_CODE],
            "responses": {"200": _json(_obj({
                "counter": _ref("Counter"),
                "waiting": {"type": "array", "items": _obj({
                    "number": STR, "service": STR, "service_name": STR, "priority": BOOL, "issued_at": TIME,
                    "waited_seconds": INT, "transferred": BOOL}, ["number", "service", "priority", "waited_seconds"])},
                "waiting_total": INT,
                "tally": _obj({"served": INT, "no_show": INT, "called": INT, "avg_service_seconds": NULLABLE_INT},
                              ["served", "no_show", "avg_service_seconds"]),
                "services": {"type": "array", "items": _obj({"code": STR, "name": STR, "prefix": STR, "own": BOOL})},
                "recall_warn_after": INT, "now": STR,
            }, ["counter", "waiting", "tally", "recall_warn_after"]), "Panel view"), **_errors(401, 403, 404)},
        }},
        "/api/admin/users": {
            "get": op("Every staff user", _json({"type": "array", "items": user}, "Users"), errors=(401, 403)),
            "post": op("Create a user", _json(user, "Created"), status="201", errors=write, body=_obj({
                "username": STR, "role": {"type": "string", "enum": ["clerk", "manager", "admin"]},
                "password": {"type": "string", "minLength": 8}, "counters": {"type": "array", "items": STR},
                "full_name": STR, "agency": {"type": ["string", "null"]}}, ["username", "role", "password"])),
        },
        "/api/admin/users/{username}/disable": {"post": op(
            "Disable a user; their sessions and tokens end", _json(user, "User"), errors=write, params=[username])},
        "/api/admin/users/{username}/enable": {"post": op(
            "Enable a disabled user", _json(user, "User"), errors=write, params=[username])},
        "/api/admin/users/{username}/password": {"post": op(
            "Set a new password; the user's sessions and tokens end", _json(user, "User"), errors=write,
            params=[username], body=_obj({"password": {"type": "string", "minLength": 8}}, ["password"]))},
        "/api/admin/users/{username}/counters": {"put": op(
            "Replace the counters a user may act for", _json(user, "User"), errors=write, params=[username],
            body=_obj({"counters": {"type": "array", "items": STR}}, ["counters"]))},
        "/api/admin/services": {"get": op(
            "Services with whether each is closed today", _json({"type": "array", "items": service}, "Services"),
            errors=(401, 403))},
        "/api/admin/services/{code}/close": {"post": op(
            "Close a service for the rest of today; the kiosk shows the reason", _json(service, "Service"),
            errors=write, params=[code],
            body=_obj({"reason": {"type": "string", "minLength": 1, "maxLength": 200}}, ["reason"]))},
        "/api/admin/services/{code}/open": {"post": op(
            "Reopen a service closed today", _json(service, "Service"), errors=write, params=[code])},
        "/api/admin/running-text": {
            "get": op("The hall displays' running text", _json(_obj({"text": STR}, ["text"]), "Text"),
                      errors=(401, 403)),
            "put": op("Change the running text; displays update live", _json(_obj({"text": STR}, ["text"]), "Text"),
                      errors=(400, 401, 403, 413, 422), body=_obj({"text": {"type": "string", "maxLength": 500}})),
        },
        "/api/admin/audit": {"get": op(
            "The audit log, newest first", _json({"type": "array", "items": _obj({
                "id": INT, "at": TIME, "user": {"type": ["string", "null"]}, "action": STR, "target": STR,
                "details": {"type": "object"}}, ["id", "at", "user", "action", "target"])}, "Entries"),
            errors=(401, 403, 422), params=[
                {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
                {"name": "before", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}])},
    }


def _printing_paths() -> dict[str, Any]:
    """Printer states and reprint (queue_app/api/printing.py)."""
    staff = [{"bearer": []}, {"session": []}]
    print_result = _obj({"status": {"type": "string", "enum": ["printed", "queued", "failed", "none"]},
                         "error": {"type": ["string", "null"]}}, ["status", "error"])
    printer = _obj({
        "code": STR, "kind": STR, "profile": STR,
        "state": {"type": "string", "enum": ["ok", "offline", "paper_low", "paper_out", "unknown"]},
        "message": STR, "checked_at": TIME, "kiosks": {"type": "array", "items": STR},
        "jobs_today": _obj({"queued": INT, "printed": INT, "failed": INT}, ["queued", "printed", "failed"]),
    }, ["code", "kind", "state", "jobs_today"])
    return {
        "/api/printers": {"get": {
            "tags": ["printing"], "summary": "Every printer: last known state, its kiosks, today's jobs by outcome",
            "security": staff,
            "responses": {"200": _json({"type": "array", "items": printer}, "Printers"), **_errors(401, 403)},
        }},
        "/api/tickets/{token}/reprint": {"post": {
            "tags": ["printing"], "summary": "Print a ticket again (recorded as a reprinted event)",
            "security": staff,
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": STR}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": _obj(
                {"printer": {"type": "string", "description": "default: the printer of the issuing kiosk"}})}}},
            "responses": {"200": _json(_obj({"ticket": _ref("StaffTicket"), "print": print_result},
                                            ["ticket", "print"]), "The print outcome"),
                          **_errors(400, 401, 403, 404, 413, 422)},
        }},
    }


def declared_paths(schemas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Path items of every ``@documented`` endpoint; their models' schemas are added to ``schemas``."""
    import re

    from flask import Flask, current_app, has_app_context
    from pydantic.json_schema import models_json_schema

    from queue_app.api import bp
    from queue_app.api.declare import Operation

    if has_app_context():
        app = current_app
    else:  # the document at import time (tests): the API's routes on a bare app are enough
        app = Flask(__name__)
        app.register_blueprint(bp)
    found: list[tuple[Any, str, Operation]] = []
    models: set[type] = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "__openapi__", None)
        if op is None or not rule.rule.startswith("/api/"):
            continue
        found.append((rule, rule.rule, op))
        models.update(m for m in (op.body, *op.responses.values()) if isinstance(m, type))
    if models:
        _, defs = models_json_schema([(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
                                     ref_template="#/components/schemas/{model}")
        schemas.update(defs.get("$defs", {}))
    out: dict[str, dict[str, Any]] = {}
    for rule, path, op in found:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        params = [{"name": a, "in": "path", "required": True, "schema": STR} for a in sorted(rule.arguments)]
        params += [{"name": n, "in": "query", "required": req, "schema": sch, "description": d}
                   for n, (sch, req, d) in op.query.items()]
        params += [{"name": n, "in": "header", "required": req, "schema": sch, "description": d}
                   for n, (sch, req, d) in op.headers.items()]
        responses: dict[str, Any] = {}
        for status, model in op.responses.items():
            if isinstance(model, type):
                responses[str(status)] = _json(_ref(model.__name__), (model.__doc__ or "OK").strip())
            elif isinstance(model, str) and model in schemas:  # a shape still written by hand above
                responses[str(status)] = _json(_ref(model), model)
            else:
                responses[str(status)] = {"description": model or "OK"}
        responses.update(_errors(*op.errors))
        if op.body is not None:  # every JSON body is refused in another media type (parsing.json_body)
            responses.update(_errors(415))
        entry: dict[str, Any] = {"summary": op.summary, "responses": responses}
        if op.tags:
            entry["tags"] = list(op.tags)
        if params:
            entry["parameters"] = params
        if op.staff:
            entry["security"] = [{"bearer": []}, {"session": []}]
        if op.body is not None:
            entry["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": _ref(op.body.__name__)}}}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.setdefault(path, {})[method.lower()] = entry
    return out
