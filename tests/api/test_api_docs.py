"""docs/api.md and the OpenAPI document agree: every operation of ``GET /api/openapi.json`` has exactly one
row in docs/api.md, and docs/api.md has no row for an operation the server does not have."""

from __future__ import annotations

import re
from collections import Counter

from ..helpers import ROOT

API_MD = ROOT / "docs" / "api.md"
#: a table row whose first cell starts with an operation: | `POST /api/counters/<code>/call` ... |
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/[^`\s\[?]+)")


def shape(path: str) -> str:
    """A path with its parameters unnamed: /api/counters/<code>/call and /api/counters/{code}/call alike."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def documented() -> list[tuple[str, str]]:
    rows = [ROW.match(line) for line in API_MD.read_text(encoding="utf-8").splitlines()]
    return [(m.group(1), shape(m.group(2))) for m in rows if m]


def served(client) -> set[tuple[str, str]]:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    return {(method.upper(), shape(path)) for path, ops in paths.items()
            for method in ops if method in ("get", "post", "put", "patch", "delete")}


def test_every_operation_is_documented_once_and_nothing_else(client):
    rows = documented()
    twice = [op for op, n in Counter(rows).items() if n > 1]
    assert twice == [], f"documented more than once in docs/api.md: {twice}"
    operations = served(client)
    assert sorted(operations - set(rows)) == [], "in /api/openapi.json but not in docs/api.md"
    assert sorted(set(rows) - operations) == [], "in docs/api.md but not in /api/openapi.json"
