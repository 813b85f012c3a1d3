"""The Socket.IO events of the site, declared once with their payload shapes (and their namespaces).

Each feature declares the events it sends in its own ``events.py`` (``queue_app.queue.events``,
``queue_app.printing.events``...) with :func:`declare`; the names are what the code records and emits, the
pydantic models are what ``docs/socketio-events.md`` is generated from (``mpp-queue dev docs``), and, when the
app runs with ``CHECK_SHAPES`` (every test does), every payload sent is validated against its model
(:func:`check`, called by the client manager that all emits pass through). Production sends plain dicts:
validating each of a thousand phones' messages would cost more than building them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter


@dataclass(frozen=True)
class NamespaceDecl:
    name: str
    who: str
    auth: str
    #: its sockets authenticate (staff, devices): ``access_ended`` reaches them when that access ends
    access: bool = False


@dataclass(frozen=True)
class EventDecl:
    name: str
    namespaces: tuple[str, ...]
    #: the payload's shape; None: any JSON (documented in ``summary``)
    payload: Any
    summary: str
    #: ``server`` (sent to clients) or ``client`` (a client's request, answered by its ack)
    direction: str = "server"


NAMESPACES: dict[str, NamespaceDecl] = {}
#: (namespace, name, direction) -> declaration
EVENTS: dict[tuple[str, str, str], EventDecl] = {}
_adapters: dict[tuple[str, str], TypeAdapter] = {}


def namespace(name: str, *, who: str, auth: str, access: bool = False) -> str:
    """Declare a namespace; :return: its name."""
    NAMESPACES[name] = NamespaceDecl(name, who, auth, access)
    return name


class EventName(str):
    """An event's name as declared (a ``str``: record and emit take it as it is)."""

    __slots__ = ()


def declare(name: str, *namespaces: str, payload: Any, summary: str, direction: str = "server") -> EventName:
    """Declare an event sent on ``namespaces`` with a payload of shape ``payload`` (a pydantic model, a
    ``list[...]``/``dict[...]`` of one, or None). :return: its name, to record and emit."""
    decl = EventDecl(name, tuple(namespaces), payload, summary, direction)
    for ns in namespaces:
        EVENTS[(ns, name, direction)] = decl
    return EventName(name)


def access_namespaces() -> tuple[str, ...]:
    """The namespaces whose sockets authenticate (``access_ended`` is sent to the room in each)."""
    return tuple(n for n, d in NAMESPACES.items() if d.access)


def check(event: str, payload: Any, namespace: str) -> None:
    """Validate a payload against its declaration.

    :raise AssertionError: the event is not declared on that namespace, or the payload is not its shape.
    """
    decl = EVENTS.get((namespace, event, "server")) or EVENTS.get(("*", event, "server"))
    assert decl is not None, f"Socket.IO event {event!r} on {namespace} is not declared (queue_app/*/events.py)"
    if decl.payload is None:
        return
    adapter = _adapters.get((namespace, event))
    if adapter is None:
        adapter = _adapters[(namespace, event)] = TypeAdapter(decl.payload)
    try:  # as a client reads it: JSON, so times are the contract's ISO strings
        adapter.validate_json(json.dumps(payload), strict=True)
    except Exception as exc:
        raise AssertionError(f"{namespace} {event}: payload does not match its declared shape: {exc}") from exc


def schema_of(payload: Any) -> dict[str, Any] | None:
    """The JSON schema of a declared payload, for the generated document."""
    if payload is None:
        return None
    if isinstance(payload, type) and issubclass(payload, BaseModel):
        return payload.model_json_schema(mode="serialization")
    return TypeAdapter(payload).json_schema(mode="serialization")
