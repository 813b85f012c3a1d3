"""Request parsing shared by the API modules: the JSON body, the Idempotency-Key header, date arguments.

Typed body fields are declared as pydantic models (:mod:`queue_app.api.declare`).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import request

from queue_app.core.errors import BadRequest, ValidationFailed

IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
#: the header's JSON schema, for the OpenAPI document
IDEMPOTENCY_KEY = {"type": "string", "pattern": IDEMPOTENCY_KEY_RE.pattern}


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
