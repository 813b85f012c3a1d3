"""The JSON API under /api: the shared plumbing only (the blueprint, declaring, parsing, the OpenAPI assembly).

Each feature keeps its own handlers (``queue_app/<feature>/handlers.py``) and registers them on :data:`bp`;
the app factory imports them. A handler parses, calls one operation, commits and answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, request

from queue_app.api.parsing import require_json_media_type

bp = Blueprint("api", __name__, url_prefix="/api")

F = TypeVar("F", bound=Callable)

#: endpoint -> a check that runs before anything else of the request (:func:`asks_first`)
_first_checks: dict[str, Callable[[], None]] = {}


def asks_first(check: Callable[[], None]) -> Callable[[F], F]:
    """Run ``check`` before this endpoint's body is even looked at.

    A ticket request is first asked who it is (401 before 415: the contract's answer to an anonymous caller
    does not depend on how it spelled its body).
    """

    def wrap(view: F) -> F:
        _first_checks[f"{bp.name}.{view.__name__}"] = check
        return view

    return wrap


@bp.before_request
def _json_bodies_only() -> None:
    # every endpoint, even one that ignores its body: a cross-site form must not reach any of them
    check = _first_checks.get(request.endpoint or "")
    if check is not None:
        check()
    require_json_media_type()


@bp.after_request
def _no_store(resp: Response) -> Response:
    # live data: a proxy or the kiosk browser must never answer from a cache
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


from queue_app.api import meta  # noqa: E402,F401  (health and openapi.json)
