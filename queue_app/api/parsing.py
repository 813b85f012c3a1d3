"""Request parsing shared by the API modules: the JSON body, typed fields, headers, dates."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import request

from queue_app.core.errors import BadRequest, ValidationFailed

IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


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
    try:
        # JSON may spell lone surrogates ("\\ud83d") that no database or hash can encode
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The body must be valid UTF-8 text.") from None
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
    if isinstance(value, str) and value == "" and required:  # a name of spaces is simply unknown (404)
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
