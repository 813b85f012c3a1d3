"""docs/security.md is written from the tests: every test it names exists, and no defence has two rows."""

from __future__ import annotations

import ast
import re

from ..helpers import ROOT

DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")


def test_every_test_named_in_security_md_exists():
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", DOC))
    assert len(named) > 50
    missing = []
    for path, name in sorted(named):
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        if name not in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}:
            missing.append(f"{path}::{name}")
    assert not missing, missing


def test_each_defence_has_one_row_and_every_row_names_a_test():
    rows = [line for line in DOC.splitlines() if line.startswith("| ") and not line.startswith("| Defended")
            and not line.startswith("| ---")]
    defences = [row.split(" | ")[0].strip("| ").strip() for row in rows]
    assert len(defences) == len(set(defences)), [d for d in defences if defences.count(d) > 1]
    assert all("::" in row.rsplit(" | ", 1)[-1] for row in rows), [r[:60] for r in rows if "::" not in r.rsplit(" | ", 1)[-1]]
