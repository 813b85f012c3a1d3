"""Every string of a request body has a declared maximum length; a longer one is a 4xx, never a 500 (issue 30,
contract "Hardening (third round)"). The fuzzing runs on SQLite and PostgreSQL: PostgreSQL refuses a value
wider than its column (a 101-character booking name was a 500), SQLite stores it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

import queue_app.factory  # noqa: F401  (registers every table and /api handler)
from queue_app.api.declare import Shape
from queue_app.core.extensions import db
from queue_app.queue import operations

from ..helpers import api_spec

pytestmark = pytest.mark.both_databases

SPEC = api_spec()
#: operations that take a JSON body
BODY_OPERATIONS = [(method.upper(), path) for path, item in SPEC["paths"].items() for method, op in item.items()
                   if "requestBody" in op]
EXAMPLES = 6


def _shapes() -> list[type[Shape]]:
    out, todo = [], list(Shape.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.append(cls)
            todo.extend(cls.__subclasses__())
    return sorted(out, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unbounded(schema: dict[str, Any], defs: dict[str, Any], path: str = "") -> list[str]:
    """Paths of the string values ``schema`` accepts without a ``maxLength`` (enums and constants are bounded)."""
    schema = _resolve(schema, defs)
    out: list[str] = []
    for alternative in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        out += _unbounded(alternative, defs, path)
    kind = schema.get("type")
    if kind == "string" and "maxLength" not in schema and "enum" not in schema and "const" not in schema:
        out.append(path or "(body)")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            out += _unbounded(sub, defs, f"{path}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            out += _unbounded(schema["additionalProperties"], defs, f"{path}.*")
    if kind == "array":
        out += _unbounded(schema.get("items", {}), defs, f"{path}[]")
    return out


@pytest.mark.parametrize("shape", _shapes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_string_of_every_request_shape_declares_a_maximum_length(shape):
    schema = shape.model_json_schema()
    assert _unbounded(schema, schema.get("$defs", {})) == [], "add max_length (queue_app.api.declare: Code, Text...)"


def test_every_documented_body_is_a_shape_with_bounded_strings():
    components = SPEC["components"]["schemas"]
    for method, path in BODY_OPERATIONS:
        body = SPEC["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
        assert _unbounded(body, components) == [], f"{method} {path}"


def _string_schema(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The string alternative of ``schema`` (``str``, ``str | None``...), or None."""
    schema = _resolve(schema, defs)
    if schema.get("type") == "string":
        return schema
    for alternative in schema.get("anyOf", []):
        found = _string_schema(alternative, defs)
        if found is not None:
            return found
    return None


def _object_schema(schema: dict[str, Any], defs: dict[str, Any], kind: str) -> dict[str, Any] | None:
    schema = _resolve(schema, defs)
    if schema.get("type") == kind:
        return schema
    return next((s for s in (_object_schema(a, defs, kind) for a in schema.get("anyOf", [])) if s), None)


def _string_leaves(schema: dict[str, Any], defs: dict[str, Any], path: tuple = ()) -> list:
    """``(path, maxLength)`` of every string a body may hold, from its schema alone (an optional field an
    example left out included: a 101-character name is just as much a 500 when the generator never sends a
    name); an array's strings are stretched in its first element. Enums and patterns bound themselves."""
    string = _string_schema(schema, defs)
    if string is not None:
        bounded = "maxLength" in string and "enum" not in string and "pattern" not in string
        return [(path, string["maxLength"])] if bounded else []
    obj = _object_schema(schema, defs, "object")
    if obj is not None:
        return [leaf for name, sub in obj.get("properties", {}).items()
                for leaf in _string_leaves(sub, defs, (*path, name))]
    array = _object_schema(schema, defs, "array")
    if array is not None:
        return _string_leaves(array.get("items", {}), defs, (*path, 0))
    return []


def _with(body: Any, path: tuple, value: str) -> Any:  # noqa: ANN401
    """``body`` with ``value`` at ``path``, making the objects and lists on the way that it lacks."""
    body = copy.deepcopy(body)
    target = body
    for key, after in zip(path[:-1], path[1:], strict=True):
        empty = [] if isinstance(after, int) else {}
        if isinstance(target, list):
            if not target or not isinstance(target[0], type(empty)):
                target[:] = [empty]
        elif not isinstance(target.get(key), type(empty)):
            target[key] = empty
        target = target[key]
    if isinstance(target, list):
        target[:] = [value]
    else:
        target[path[-1]] = value
    return body


def _body_schema(method: str, path: str) -> dict[str, Any]:
    return SPEC["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]


#: the bodies that hold a string somewhere
STRING_BODIES = [(m, p) for m, p in BODY_OPERATIONS if _string_leaves(_body_schema(m, p), SPEC["components"]["schemas"])]


@pytest.mark.parametrize(("method", "path"), STRING_BODIES, ids=[f"{m} {p}" for m, p in STRING_BODIES])
def test_over_long_strings_in_any_body_are_refused_with_4xx_never_5xx(app, staff, method, path):
    """For each documented body, generated examples (schemathesis) with each string set to its maximum (must
    not be a 5xx: the database holds it) and to one character more (must be a 4xx)."""
    headers = staff.headers("fuzzadmin", "admin")
    with app.app_context():  # something to call, finish, transfer and look up
        for service in ("PERIZINAN", "NONIZIN", "HALAL"):
            operations.issue_ticket(service)
        db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]
    body_schema = _body_schema(method, path)
    defs = SPEC["components"]["schemas"]
    client = app.test_client()
    tried = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # noqa: ANN001
        if not isinstance(case.body, dict):
            return
        for leaf, longest in _string_leaves(body_schema, defs):
            for length in (longest, longest + 1):
                body = _with(case.body, leaf, "A" * length)
                resp = client.open(case.formatted_path, method=method, json=body, query_string=case.query,
                                   headers={**headers, **{k: v for k, v in (case.headers or {}).items()
                                                          if k.lower() != "authorization"}})
                assert resp.status_code < 500, (leaf, length, resp.get_data(as_text=True))
                if length > longest:
                    assert 400 <= resp.status_code < 500, (leaf, length, resp.status_code)
                tried.append(leaf)

    run()
    assert tried, "no example of this body had a string to stretch"


# --- the columns the bounds protect, at their edge (both databases) ---------------------------------


def test_a_booking_name_of_the_columns_width_is_stored_and_one_more_is_a_422(tmp_path, db_url):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from queue_app.core import clock

    from ..helpers import TEST_SITE, built_app, make_site

    site = TEST_SITE.replace('target_wait_minutes = 15\n', 'target_wait_minutes = 15\n\n[services.booking]\n'
                             'slot_minutes = 30\nper_slot = 4\ndays_ahead = 7\n', 1)
    day = date(2026, 12, 7)
    clock.travel(datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Jakarta")).replace(hour=8)
                 - clock.utcnow())
    try:
        with built_app(make_site(tmp_path, site), db_url) as app:
            client = app.test_client()
            body = {"service": "PERIZINAN", "date": day.isoformat(), "start": "10:00"}
            too_long = client.post("/api/bookings", json={**body, "name": "N" * 101})
            assert too_long.status_code == 422 and too_long.json["error"]["field"] == "name"
            ok = client.post("/api/bookings", json={**body, "name": "N" * 100})
            assert ok.status_code == 201 and ok.json["name"] == "N" * 100
            long_phone = client.post("/api/bookings", json={**body, "phone": "0" * 33})
            assert long_phone.status_code == 422 and long_phone.json["error"]["field"] == "phone"
    finally:
        clock.reset()


def test_a_full_name_of_the_columns_width_is_stored_and_one_more_is_a_422(client, admin):
    body = {"username": "panjang", "role": "clerk", "password": "rahasia-123"}
    too_long = client.post("/api/admin/users", json={**body, "full_name": "F" * 121}, headers=admin)
    assert too_long.status_code == 422 and too_long.json["error"]["field"] == "full_name"
    assert client.post("/api/admin/users", json={**body, "full_name": "F" * 120}, headers=admin).status_code == 201


def test_the_admin_form_refuses_a_full_name_wider_than_its_column(app, staff):
    import sqlalchemy as sa

    from queue_app.staff.models import User

    from ..helpers import login

    staff.user("boss", "admin")
    web = app.test_client()
    csrf = login(web, "boss")
    resp = web.post("/admin/users", data={"csrf_token": csrf, "username": "lebar", "role": "clerk",
                                          "password": "rahasia-123", "full_name": "F" * 121})
    assert resp.status_code < 500
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "lebar")) is None
