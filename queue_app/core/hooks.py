"""Every SQLAlchemy listener and every per-process cache of the app, registered where one reader finds them all.

A listener runs on every statement, flush or commit of every request, and a cache decides what a screen shows:
one that nobody knows about is a rule you cannot see on the hot path. So each listener is attached through
:func:`listens_for` with the reason it exists, and each cache is declared with :func:`declare_cache`: what it holds
and when it is forgotten (a write in this process, another process's write, time). ``docs/hooks.md`` is generated
from these (``mpp-queue dev docs``); ``tests/api/test_hooks.py`` fails when a module attaches a listener another way,
reads an undeclared cache, or the page is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Listener:
    name: str  #: module.function
    on: str  #: what it is attached to and when, e.g. "Session after_commit"
    why: str


@dataclass(frozen=True)
class Cache:
    name: str
    where: str  #: the module that keeps it
    holds: str
    #: when an entry stops being used: this process's own writes, another process's, time
    forgotten: str


LISTENERS: dict[str, Listener] = {}
CACHES: dict[str, Cache] = {}


def _target_name(target: Any) -> str:
    if isinstance(target, type):
        return target.__name__
    if isinstance(target, sa.Engine):
        return "each engine"
    if isinstance(target, sa.pool.Pool):
        return "each engine's pool"
    if isinstance(target, sa.MetaData):
        return "the tables (metadata)"
    return type(target).__name__


def listens_for(target: Any, identifier: str, *, why: str, **kw: Any) -> Callable[[F], F]:
    """``sqlalchemy.event.listens_for``, registered with the reason it exists."""

    def wrap(fn: F) -> F:
        sa.event.listen(target, identifier, fn, **kw)
        name = f"{fn.__module__}.{fn.__qualname__}".replace(".<locals>", "")
        LISTENERS[name] = Listener(name, f"{_target_name(target)} {identifier}", " ".join(why.split()))
        return fn

    return wrap


def declare_cache(name: str, *, where: str, holds: str, forgotten: str) -> str:
    """Declare a per-process cache; :return: its name (the key of :func:`app_cache`)."""
    CACHES[name] = Cache(name, where, " ".join(holds.split()), " ".join(forgotten.split()))
    return name


def app_cache(name: str) -> dict:
    """A declared cache kept per app: each app (and so each database) has its own, so tests and sites never
    share one. :raise KeyError: ``name`` was never declared."""
    if name not in CACHES:
        raise KeyError(f"cache {name!r} is not declared (queue_app.core.hooks.declare_cache)")
    return current_app.extensions.setdefault(f"cache:{name}", {})


def document() -> str:
    """``docs/hooks.md``: every listener and cache, as registered."""
    lines = ["# Listeners and caches", "",
             "Generated from `queue_app/core/hooks.py` registrations by `mpp-queue dev docs`; do not edit by hand.",
             "Every SQLAlchemy listener runs on the hot path of every request; every cache decides what a screen",
             "shows until it is forgotten. A new one is registered with `hooks.listens_for(..., why=...)` or",
             "`hooks.declare_cache(...)`, and appears here.", "", "## Listeners", "",
             "| listener | attached to | why |", "| --- | --- | --- |"]
    lines += [f"| `{x.name}` | {x.on} | {x.why} |" for x in sorted(LISTENERS.values(), key=lambda x: x.name)]
    lines += ["", "## Caches", "", "| cache | kept in | holds | forgotten |", "| --- | --- | --- | --- |"]
    lines += [f"| `{c.name}` | `{c.where}` | {c.holds} | {c.forgotten} |"
              for c in sorted(CACHES.values(), key=lambda c: c.name)]
    return "\n".join(lines) + "\n"
