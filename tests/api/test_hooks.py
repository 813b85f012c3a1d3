"""Listeners, caches and Socket.IO events are declared where a reader finds them, and the generated pages are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queue_app.core import hooks
from queue_app.ops import devdocs

ROOT = Path(__file__).resolve().parents[2]


def test_every_sqlalchemy_listener_is_attached_through_hooks():
    pattern = re.compile(r"\b(sa\.)?event\.(listens_for|listen)\(|from sqlalchemy\.event import|from sqlalchemy import event")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "queue_app").rglob("*.py") if "migrations" not in p.parts
             and p.name != "hooks.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, f"attach listeners with queue_app.core.hooks.listens_for(..., why=...): {found}"


def test_an_undeclared_cache_is_refused(ctx):
    with pytest.raises(KeyError, match="not declared"):
        hooks.app_cache("nobody-declared-this")


def test_every_listener_says_why():
    devdocs.hooks_page()
    assert hooks.LISTENERS and all(len(x.why) > 20 for x in hooks.LISTENERS.values())


def test_generated_pages_are_current():
    assert devdocs.write(check=True) == [], "run `.venv/bin/mpp-queue dev docs` and commit docs/"
