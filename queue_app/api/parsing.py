"""Request parsing shared by the API modules: the JSON body, the Idempotency-Key header, date arguments.

Typed body fields are declared as pydantic models (:mod:`queue_app.api.declare`).
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from typing import Any

from flask import request

from queue_app.core import safejson
from queue_app.core.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from queue_app.core.site import today as site_today

IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
#: the header's JSON schema, for the OpenAPI document
IDEMPOTENCY_KEY = {"type": "string", "pattern": IDEMPOTENCY_KEY_RE.pattern}


def has_body() -> bool:
    """Whether the request carries a body (a length, or a chunked upload)."""
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def require_json_media_type() -> None:
    """:raise UnsupportedMediaType: a body that is not ``application/json`` (415).

    A form post (``text/plain``, ``application/x-www-form-urlencoded``) is what a foreign web page can send
    without a CORS preflight; refusing it keeps every JSON endpoint out of a cross-site form's reach.
    """
    if has_body() and not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object.

    :raise UnsupportedMediaType: a body that is not application/json (415).
    :raise BadRequest: malformed or too deeply nested JSON, or not an object.
    """
    require_json_media_type()
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise BadRequest("A JSON object body is required.")
        return {}
    try:
        data = safejson.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors too
        too_deep = str(exc) == safejson.TOO_DEEP
        message = "The JSON body is nested too deeply." if too_deep else "The body is not valid JSON."
        raise BadRequest(message) from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    try:
        # JSON may spell lone surrogates ("\\ud83d") that no database or hash can encode
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The body must be valid UTF-8 text.") from None
    return data


def well_formed_idempotency_key() -> bool:
    """Whether the request's Idempotency-Key is absent or well formed (:func:`idempotency_key` would not raise)."""
    key = request.headers.get("Idempotency-Key")
    return key is None or bool(IDEMPOTENCY_KEY_RE.match(key))


def idempotency_key() -> str | None:
    """The request's Idempotency-Key, or None. :raise ValidationFailed: it is malformed."""
    if not well_formed_idempotency_key():
        raise ValidationFailed("Idempotency-Key must be 1-128 letters, digits or '_.:-'.", field="Idempotency-Key")
    return request.headers.get("Idempotency-Key")


def date_arg(name: str, default: date) -> date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f'"{name}" must be a date like 2026-10-28.', field=name) from None


# --- ranges of local days (stats, reports, exports) ---------------------------------------------

MAX_RANGE_DAYS = 366 * 2
DATE = {"type": "string", "format": "date"}
AGENCY = {"agency": ({"type": "string"}, False,
                     "one agency's code (admins, unscoped managers; a scoped manager asking for another gets 403)")}
RANGE = {
    "from": (DATE, False, "first local day (default: today)"),
    "to": (DATE, False, "last local day, at most two years after from (default: from, or today)"),
    "month": ({"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"}, False,
              "a whole month like 2026-11, instead of from/to"),
    **AGENCY,
}
RANGE_ERRORS = (401, 403, 404, 422)


def date_range() -> tuple[date, date]:
    """The request's local days: ``?month=2026-11``, or ``?from=&to=`` (default today), at most two years.

    :raise ValidationFailed:
    """
    today = site_today()
    month = request.args.get("month")
    if month and not request.args.get("from"):
        return month_range(month)
    first = date_arg("from", today)
    last = date_arg("to", first if request.args.get("from") else today)
    if last < first:
        raise ValidationFailed('"to" must not be before "from".', field="to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed("The range may span at most two years.", field="to")
    return first, last


def month_range(value: str) -> tuple[date, date]:
    """``2026-11`` → (1 Nov, 30 Nov). :raise ValidationFailed:"""
    try:
        year, mon = (int(x) for x in value.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValidationFailed('"month" must look like 2026-11.', field="month") from None
    return first, date(year, mon, calendar.monthrange(year, mon)[1])
