"""The vendored browser libraries are present, licensed, the versions the README promises, and loadable without a bundler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[2] / "queue_app" / "static" / "vendor"
README = (VENDOR / "README.md").read_text(encoding="utf-8")


def readme_version(package: str) -> str:
    """The version the README table lists for a package."""
    match = re.search(rf"\[`{re.escape(package)}`\]\([^)]*\) \| ([0-9.]+) \|", README)
    assert match, f"{package} missing from vendor/README.md"
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "banner", "package"),
    [
        ("socket.io/socket.io.esm.min.js", r"Socket\.IO v([0-9.]+)", "socket.io-client"),
        ("socket.io/socket.io.min.js", r"Socket\.IO v([0-9.]+)", "socket.io-client"),
        ("chart.js/chart.umd.min.js", r"Chart\.js v([0-9.]+)", "chart.js"),
    ],
)
def test_file_is_the_documented_version(path: str, banner: str, package: str) -> None:
    head = (VENDOR / path).read_text(encoding="utf-8")[:400]
    match = re.search(banner, head)
    assert match, f"no version banner in {path}"
    assert match.group(1) == readme_version(package)


def test_major_versions_match_the_contract() -> None:
    assert readme_version("socket.io-client").startswith("4.")  # protocol v5 with python-socketio 5
    assert readme_version("chart.js").startswith("4.")


@pytest.mark.parametrize("path", ["socket.io/LICENSE", "chart.js/LICENSE.md"])
def test_licence_shipped(path: str) -> None:
    assert "MIT License" in (VENDOR / path).read_text(encoding="utf-8")


def test_socketio_esm_has_no_bare_imports() -> None:
    """A bare `import ... from "pkg"` would need a bundler or an import map in the browser."""
    source = (VENDOR / "socket.io/socket.io.esm.min.js").read_text(encoding="utf-8")
    assert not re.search(r"""\bimport\s*[\w{}*,\s]*from\s*["']""", source)
    assert re.search(r"\bas io\b", source), "ESM build should export io"


def test_chart_umd_sets_window_chart() -> None:
    source = (VENDOR / "chart.js/chart.umd.min.js").read_text(encoding="utf-8")
    assert "window.Chart=" in source


def test_source_maps_referenced_are_shipped_for_socketio() -> None:
    for name in ("socket.io.esm.min.js", "socket.io.min.js"):
        source = (VENDOR / "socket.io" / name).read_text(encoding="utf-8")
        ref = re.search(r"sourceMappingURL=(\S+)", source)
        assert ref and (VENDOR / "socket.io" / ref.group(1)).is_file()


AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core"


def test_axe_core_for_the_accessibility_tests_is_the_documented_version_with_its_licence() -> None:
    readme = (AXE / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"\[`axe-core`\]\([^)]*\) \| ([0-9.]+) \|", readme).group(1)
    banner = re.search(r"axe v([0-9.]+)", (AXE / "axe.min.js").read_text(encoding="utf-8")[:200]).group(1)
    assert banner == documented
    assert "Mozilla Public License, version 2.0" in (AXE / "LICENSE").read_text(encoding="utf-8")
