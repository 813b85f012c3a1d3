"""Declared shapes of the HTTP API: each request body is a pydantic model, parsed once, documented from itself.

A handler says what it accepts and answers with :func:`documented`; :func:`parse_body` turns the request's
JSON into the model (or the contract's 400/422 error body); ``/api/openapi.json`` is built from the same
models by :mod:`queue_app.api.openapi`. Responses are :class:`Answer` models; the shapes of a feature area
live in :mod:`queue_app.api.shapes` (one module per area)::

    class IssueBody(Shape):
        service: Text
        priority: bool = False

    @bp.post("/tickets")
    @documented("Issue a ticket", body=IssueBody, responses={201: IssuedTicket}, errors=(409, 422))
    def create_ticket():
        data = parse_body(IssueBody)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from queue_app.api.parsing import json_body
from queue_app.core.errors import ValidationFailed
from queue_app.core.phones import PHONE_PATTERN, InvalidPhone

S = TypeVar("S", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

#: Every string of a request body has a declared maximum length (contract, "Hardening (third round)"): a longer
#: one is a 422 naming the field, never a 500 from a column too narrow for it (tests/security/test_security_lengths.py
#: walks every Shape and refuses a string field without one).
#: a non-empty string (a name, a date); a name of spaces is still looked up and answers 404
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: the code of an agency, service, counter, kiosk or printer (their columns hold 32 characters)
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
#: a ticket's number as a clerk types it (A-007)
Number = Annotated[str, StringConstraints(min_length=1, max_length=16)]
#: a password as typed (hashed, never stored; long enough for any passphrase)
MAX_PASSWORD = 256
#: a phone number as typed: digits with spaces, dashes, brackets or a leading + (normalised after)
Phone = Annotated[str, StringConstraints(max_length=32, pattern=PHONE_PATTERN)]


class Shape(BaseModel):
    """A request body. Strict: JSON ``true`` is no number and ``"1"`` no integer.

    Unknown fields are ignored (the contract lets clients send more than a server knows).
    """

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Answer(BaseModel):
    """A response body. Closed (``additionalProperties: false``): a field the code sends but the model
    lacks fails the shape tests and the fuzz tests' schema check, so the two cannot drift apart."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


@dataclass(frozen=True)
class Media:
    """A response that is not JSON (a CSV or a workbook download)."""

    mime: str
    description: str


#: what ``responses`` may map a status to: a model, ``list[Model]``, a :class:`Media`, or a description
Reply = type[BaseModel] | Any


@dataclass
class Operation:
    """What :func:`documented` attaches to a view function for the OpenAPI document."""

    summary: str
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = True
    #: status -> response model, ``list[Model]``, :class:`Media` or a description (no body)
    responses: dict[int, Reply] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    staff: bool = False
    #: query parameters: name -> (JSON schema, required, description)
    query: dict[str, tuple[dict[str, Any], bool, str]] = field(default_factory=dict)
    headers: dict[str, tuple[dict[str, Any], bool, str]] = field(default_factory=dict)

    def error_statuses(self, method: str) -> tuple[int, ...]:
        """Every error status it may answer: its own; for a staff endpoint 401 and 403 (not signed in, a password
        that must be changed first); for any method but GET 400 (a cookie session without its CSRF token) and
        415 (a body that is not JSON: a cross-site form's body is refused even where it is ignored)."""
        extra = (401, 403) if self.staff else ()
        if method not in ("GET", "HEAD"):
            extra += (400, 415)
        return self.errors + tuple(s for s in extra if s not in self.errors)


def documented(summary: str, *, tags: tuple[str, ...] | str = (), body: type[BaseModel] | None = None,
               body_required: bool = True, responses: dict[int, Any] | None = None,
               errors: tuple[int, ...] = (), staff: bool = False,
               query: dict[str, tuple[dict[str, Any], bool, str]] | None = None,
               headers: dict[str, tuple[dict[str, Any], bool, str]] | None = None) -> Callable[[F], F]:
    """Describe an endpoint for ``/api/openapi.json``; the decorated view is unchanged."""

    def wrap(view: F) -> F:
        view.__openapi__ = Operation(  # type: ignore[attr-defined]
            summary=summary, tags=(tags,) if isinstance(tags, str) else tuple(tags), body=body,
            body_required=body_required, responses=dict(responses or {}), errors=errors, staff=staff,
            query=dict(query or {}), headers=dict(headers or {}),
        )
        return view

    return wrap


def parse_body(model: type[S], *, required: bool = True) -> S:
    """The request's JSON body as ``model``.

    :raise BadRequest: not JSON, not an object (400).
    :raise ValidationFailed: a missing or ill-typed field (422), naming the first one.
    """
    data = json_body(required=required)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _failed(exc, model) from None


_TYPE_NAMES = {"string_type": "a string", "bool_type": "a boolean", "int_type": "an integer",
               "float_type": "a number", "dict_type": "an object", "list_type": "a list",
               "model_type": "an object", "int_parsing": "an integer", "bool_parsing": "a boolean"}


def parse_form(model: type[S], data: dict[str, Any]) -> S:
    """An HTML form's fields (``data``) as ``model``: the admin's pages validate through the same shapes as the
    API, leniently typed (a form sends every value as text). :raise ValidationFailed: as :func:`parse_body`,
    its page message in the screen's language."""
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise _failed(exc, model) from None


def _failed(exc: ValidationError, model: type[BaseModel] | None = None) -> ValidationFailed:
    """The first error of ``exc`` in the words the API has always used (``Missing field "service".``), and the
    catalogue's text of it for a page (``errors.field_*``)."""
    err = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in err["loc"]) or "body"
    kind = err["type"]
    if path == "phone" and kind == "string_pattern_mismatch":  # the contract's own code for a bad number
        return InvalidPhone("A phone number must look like 08…, +62… or 62… (spaces and dashes allowed).",
                            field="phone")
    values: dict[str, Any] = {"field": path}
    if kind == "missing":
        message, text = f'Missing field "{path}".', "field_missing"
    elif kind in _TYPE_NAMES:
        message, text = f'Field "{path}" must be {_TYPE_NAMES[kind]}.', "field_invalid"
    elif kind == "string_too_short":
        message, text = f'Field "{path}" must not be empty.', "field_empty"
    elif kind in ("string_too_long", "too_long"):
        values["max"] = (err.get("ctx") or {}).get("max_length", "?")
        message, text = f'Field "{path}": {err["msg"]}.', "field_too_long"
    else:
        message, text = f'Field "{path}": {err["msg"]}.', "field_invalid"
    # a field may name the catalogue's own words for its refusals (``json_schema_extra={"x-error-text": ...}``)
    field = model.model_fields.get(str(err["loc"][0])) if model is not None and err["loc"] else None
    extra = field.json_schema_extra if field is not None and isinstance(field.json_schema_extra, dict) else {}
    if kind != "missing" and extra.get("x-error-text"):
        text = str(extra["x-error-text"])
    return ValidationFailed(message, text=text, values=values, field=path)
