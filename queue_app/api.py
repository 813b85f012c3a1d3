"""The JSON API under /api: parse and validate, call one engine verb, commit, serialize."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from . import engine, stats
from .auth import (
    authenticate,
    check_login_rate,
    issue_token,
    note_failed_login,
    require_counter,
    staff_required,
)
from .errors import BadRequest, RateLimited, Unauthorized, ValidationFailed
from .extensions import db
from .models import Role
from .schemas import counter_to_dict, iso, services_public, ticket_public, ticket_to_dict

bp = Blueprint("api", __name__, url_prefix="/api")

IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


# --- request parsing -------------------------------------------------------------------------


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object. :raise BadRequest: malformed JSON or not an object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise BadRequest("A JSON object body is required.")
        return {}
    data = request.get_json(force=True, silent=True)
    if data is None and raw.strip() != b"null":
        raise BadRequest("The body is not valid JSON.")
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True,
          default: Any = None) -> Any:
    """A typed field of the body. :raise ValidationFailed: missing or wrong type."""
    if name not in data or data[name] is None:
        if required:
            raise ValidationFailed(f'Missing field "{name}".', field=name)
        return default
    value = data[name]
    # bool is an int in Python; JSON true must not pass as a number or vice versa
    if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        names = {"str": "string", "bool": "boolean", "int": "integer", "dict": "object"}.get(names, names)
        raise ValidationFailed(f'Field "{name}" must be a {names}.', field=name)
    if isinstance(value, str) and not value.strip() and required:
        raise ValidationFailed(f'Field "{name}" must not be empty.', field=name)
    return value


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise ValidationFailed("Idempotency-Key must be 1-128 letters, digits or '_.:-'.", field="Idempotency-Key")
    return key


def date_arg(name: str, default: date) -> date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f'"{name}" must be a date like 2026-10-28.', field=name) from None


# --- public ----------------------------------------------------------------------------------


@bp.get("/services")
def list_services():
    """The services a kiosk offers, with waiting counts and estimates."""
    return jsonify(services_public(request.args.get("kiosk") or None))


_issue_hits: dict[str, list[float]] = {}


def _check_issue_rate(kiosk: str | None) -> None:
    """A stuck key or a script on a kiosk must not empty the day's numbers."""
    import time

    limit = current_app.config.get("RATELIMIT_TICKETS_PER_KIOSK", 0)
    if not limit:
        return
    key = kiosk or f"addr:{request.remote_addr}"
    now = time.monotonic()
    hits = [t for t in _issue_hits.get(key, []) if now - t < 60]
    if len(hits) >= limit:
        raise RateLimited("Too many tickets from this kiosk in a minute.")
    hits.append(now)
    _issue_hits[key] = hits


@bp.post("/tickets")
def create_ticket():
    """Issue a ticket (kiosk, or anyone on the LAN: walk-in tickets are public)."""
    data = json_body()
    service = field(data, "service", str)
    priority = field(data, "priority", bool, required=False, default=False)
    kiosk = field(data, "kiosk", str, required=False)
    key = idempotency_key()
    _check_issue_rate(kiosk)
    try:
        ticket, created = engine.issue_ticket(service, priority=priority, kiosk=kiosk, idempotency_key=key)
        db.session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced in from another process: answer with the winner's ticket.
        db.session.rollback()
        if not key:
            raise
        ticket, created = engine.issue_ticket(service, priority=priority, kiosk=kiosk, idempotency_key=key)
        db.session.commit()
    printing = current_app.extensions["printing"]
    print_result = printing.print_ticket(ticket, kiosk) if created else printing.last_result(ticket)
    view = ticket_public(ticket)
    body = {
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "agency": ticket.service.agency.code,
        "agency_name": ticket.service.agency.name,
        "token": ticket.token,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "ahead": view["ahead"],
        "estimated_wait_seconds": view["estimated_wait_seconds"],
        "track_url": track_url(ticket.token),
        "issued_at": iso(ticket.issued_at),
        "print": print_result,
    }
    return jsonify(body), 201 if created else 200


def track_url(token: str) -> str:
    return f"{engine.site().base_url}/t/{token}"


@bp.get("/tickets/<token>")
def get_ticket(token: str):
    """The visitor's live view of one ticket."""
    return jsonify(ticket_public(engine.get_ticket_by_token(token)))


@bp.get("/display")
def display_board():
    """The board snapshot a hall display shows."""
    from .board import board_snapshot

    return jsonify(board_snapshot(request.args.get("zone") or None))


@bp.get("/health")
def health():
    """Liveness for monitoring: 503 when the database is gone, ``degraded`` when a printer is not ok."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except OperationalError as exc:
        db.session.rollback()
        return jsonify({"status": "down", "database": f"error: {exc.orig.__class__.__name__}",
                        "printers": {}}), 503
    printers = current_app.extensions["printing"].states()
    degraded = any(state != "ok" for state in printers.values())
    return jsonify({"status": "degraded" if degraded else "ok", "database": database, "printers": printers})


# --- auth ------------------------------------------------------------------------------------


@bp.post("/auth/token")
def create_token():
    """Exchange a username and password for a bearer token."""
    data = json_body()
    username = field(data, "username", str)
    password = field(data, "password", str)
    addr = request.remote_addr or "?"
    check_login_rate(addr)
    user = authenticate(username, password)
    if user is None:
        note_failed_login(addr)
        raise Unauthorized("Wrong username or password.")
    token, expires = issue_token(user)
    db.session.commit()
    return jsonify({"token": token, "role": user.role.value, "expires_at": iso(expires),
                    "counters": [c.code for c in user.counters]})


@bp.get("/me")
@staff_required()
def me():
    """Who is signed in, and where they may act."""
    from flask import g
    from flask_wtf.csrf import generate_csrf

    counters = engine.counters_with_current()
    return jsonify({
        # browser panels send this back in X-CSRFToken on every unsafe request
        "csrf_token": None if g.get("auth_via_token") else generate_csrf(),
        "username": current_user.username,
        "full_name": current_user.full_name,
        "role": current_user.role.value,
        "counters": [c.code for c in counters if current_user.may_use_counter(c)],
    })


# --- counters --------------------------------------------------------------------------------


@bp.get("/counters")
@staff_required()
def list_counters():
    """Every counter with its state and current ticket."""
    return jsonify([counter_to_dict(c) for c in engine.counters_with_current()])


def _counter_action(code: str, action: str, run) -> Response:  # noqa: ANN001
    """Authorize, replay a repeated Idempotency-Key, run the verb, commit, answer the current ticket.

    The counter row is locked before the key is looked up, so a double click that reaches two
    processes at once is answered twice with the first result instead of acting twice.
    """
    key = idempotency_key()
    engine.begin_write()
    counter = engine.get_counter(code, lock=True)
    require_counter(counter)
    scope = f"counter:{code}"
    if key:
        seen, _ = engine.replay_key(scope, key, action=action)
        if seen:
            body = {"ticket": ticket_to_dict(counter.current_ticket), "replayed": True}
            db.session.rollback()
            return jsonify(body)
    run(current_user._get_current_object())
    if key:
        engine.remember_key(scope, key, action=action, ticket=counter.current_ticket)
    body = {"ticket": ticket_to_dict(counter.current_ticket)}
    db.session.commit()
    return jsonify(body)


@bp.post("/counters/<code>/call-next")
@staff_required(Role.clerk, Role.admin)
def call_next(code: str):
    """Call the next waiting ticket to this counter."""
    data = json_body(required=False)
    finish_current = field(data, "finish_current", bool, required=False, default=False)
    return _counter_action(code, "call_next",
                           lambda user: engine.call_next(code, actor=user, finish_current=finish_current))


@bp.post("/counters/<code>/call")
@staff_required(Role.clerk, Role.admin)
def call_number(code: str):
    """Call a given waiting number out of order."""
    number = field(json_body(), "number", str)
    return _counter_action(code, "call", lambda user: engine.call_number(code, number, actor=user))


@bp.post("/counters/<code>/recall")
@staff_required(Role.clerk, Role.admin)
def recall(code: str):
    """Announce the current ticket again."""
    return _counter_action(code, "recall", lambda user: engine.recall(code, actor=user))


@bp.post("/counters/<code>/start")
@staff_required(Role.clerk, Role.admin)
def start(code: str):
    """The visitor arrived: status ``serving``."""
    return _counter_action(code, "start", lambda user: engine.start_serving(code, actor=user))


@bp.post("/counters/<code>/finish")
@staff_required(Role.clerk, Role.admin)
def finish(code: str):
    """Status ``done``."""
    return _counter_action(code, "finish", lambda user: engine.finish(code, actor=user))


@bp.post("/counters/<code>/no-show")
@staff_required(Role.clerk, Role.admin)
def no_show(code: str):
    """Status ``no_show``."""
    return _counter_action(code, "no_show", lambda user: engine.no_show(code, actor=user))


@bp.post("/counters/<code>/transfer")
@staff_required(Role.clerk, Role.admin)
def transfer(code: str):
    """Send the current ticket to another service's queue."""
    service = field(json_body(), "service", str)
    return _counter_action(code, "transfer", lambda user: engine.transfer(code, service, actor=user))


@bp.post("/counters/<code>/pause")
@staff_required(Role.clerk, Role.admin)
def pause(code: str):
    """Stop taking calls."""
    return _counter_action(code, "pause", lambda user: engine.pause(code, actor=user))


@bp.post("/counters/<code>/resume")
@staff_required(Role.clerk, Role.admin)
def resume(code: str):
    """Take calls again."""
    return _counter_action(code, "resume", lambda user: engine.resume(code, actor=user))


# --- statistics ------------------------------------------------------------------------------


def _range() -> tuple[date, date]:
    today = engine.today()
    first = date_arg("from", today)
    last = date_arg("to", first if request.args.get("from") else today)
    if last < first:
        raise ValidationFailed('"to" must not be before "from".', field="to")
    if (last - first).days > 366 * 2:
        raise ValidationFailed("The range may span at most two years.", field="to")
    return first, last


@bp.get("/stats/summary")
@staff_required(Role.manager, Role.admin)
def stats_summary():
    """Counts, waits and service times per service for a range of local days."""
    first, last = _range()
    return jsonify(stats.summary(first, last, agency_id=_scoped_agency()))


@bp.get("/stats/export.csv")
@staff_required(Role.manager, Role.admin)
def stats_export():
    """One CSV row per ticket with every timestamp."""
    first, last = _range()
    buf = io.StringIO()
    writer = csv.writer(buf)
    rows = stats.export_rows(first, last, agency_id=_scoped_agency())
    writer.writerow(stats.EXPORT_COLUMNS)
    writer.writerows(rows)
    filename = f"antrean-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _scoped_agency() -> int | None:
    """A manager scoped to one agency sees only that agency."""
    return current_user.agency_id if current_user.role is Role.manager else None


@bp.get("/openapi.json")
def openapi():
    """This API described in OpenAPI 3."""
    from .openapi import spec

    return jsonify(spec())


@bp.after_request
def _no_store(resp: Response) -> Response:
    # live data: a proxy or the kiosk browser must never answer from a cache
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp

