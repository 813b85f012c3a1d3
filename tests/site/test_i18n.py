"""One catalog for every screen: both languages complete, and every text a page or script asks for exists.

Keys are found by reading the sources: templates (``_("prefix.key")``, ``S.key`` / ``S["key"]`` where
``S = strings("prefix")``, ``data-t="key"`` on a page with ``catalog_script("prefix")``), the scripts
such a page loads and what they import (``t("key")``, and ``t(`key_${...}`)`` as a key prefix), and
Python (``gettext("prefix.key")``).
"""

from __future__ import annotations

import re
from pathlib import Path

import mpp_queue.admin  # noqa: F401  (each surface registers its texts when imported)
import mpp_queue.counter  # noqa: F401
import mpp_queue.dashboard.views  # noqa: F401
import mpp_queue.display.views  # noqa: F401
import mpp_queue.home  # noqa: F401
import mpp_queue.kiosk.views  # noqa: F401
import mpp_queue.public_pages  # noqa: F401
import mpp_queue.survey_tablet  # noqa: F401
import mpp_queue.visitor  # noqa: F401
import pytest

import queue_app.core.errors  # noqa: F401
from queue_app.core import i18n

ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("home", "kiosk", "visitor", "display", "counter", "admin", "dashboard", "survey_tablet", "queue_app",
            "public_pages")
TEMPLATES = [p for s in SURFACES for p in (ROOT / s).rglob("templates/**/*.html")]
SHARED_JS = ROOT / "queue_app" / "static" / "js"

LITERAL_GETTEXT = re.compile(r"""\b_\(\s*["']([a-z_]+)\.([A-Za-z0-9_]+)["']\s*[,)]""")
CATALOG_SCRIPT = re.compile(r"""catalog_script\(\s*["']([a-z_]+)["']\s*\)""")
STRINGS_ALIAS = re.compile(r"""set\s+(\w+)\s*=\s*strings\(\s*["']([a-z_]+)["']\s*\)""")
SCRIPT_FILE = re.compile(r"""url_for\(\s*["'](\w+)\.static["']\s*,\s*filename\s*=\s*["']([\w/.-]+\.js)["']""")
DATA_T = re.compile(r"""\bdata-t="([A-Za-z0-9_]+)\"""")
JS_T = re.compile(r"""\bt\(\s*(["'])([A-Za-z0-9_]+)\1""")
JS_T_TEMPLATE = re.compile(r"""\bt\(\s*`([A-Za-z0-9_]*)\$\{""")
JS_IMPORT = re.compile(r"""^import\s[^;]*?from\s+["'](\.{1,2}/[\w/.-]+\.js)["']""", re.M)
PY_GETTEXT = re.compile(r"""\bgettext\(\s*["']([a-z_]+)\.([A-Za-z0-9_]+)["']""")


def keys(lang: str, prefix: str) -> set[str]:
    return set(i18n.catalog(lang, prefix))


def script_path(blueprint: str, filename: str) -> Path:
    return ROOT / ("queue_app" if blueprint == "" else blueprint) / "static" / filename


def with_imports(script: Path) -> list[Path]:
    """The script and the relative modules it imports, transitively (shared /static/js/ modules use no t())."""
    seen: list[Path] = []
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        todo += [(path.parent / rel).resolve() for rel in JS_IMPORT.findall(path.read_text())]
    return seen


def uses() -> list[tuple[str, str, str, bool]]:
    """(where, prefix, key, is_key_prefix) for every text the sources ask for."""
    found: list[tuple[str, str, str, bool]] = []
    for tpl in TEMPLATES:
        text = tpl.read_text()
        where = str(tpl.relative_to(ROOT))
        found += [(where, prefix, key, False) for prefix, key in LITERAL_GETTEXT.findall(text)]
        for alias, prefix in STRINGS_ALIAS.findall(text):
            for key in re.findall(rf"\b{alias}\.([A-Za-z_]\w*)", text):
                found.append((where, prefix, key, False))
            for key in re.findall(rf"""\b{alias}\[\s*["']([A-Za-z0-9_]+)["']\s*([\]~])""", text):
                found.append((where, prefix, key[0], key[1] == "~"))
        catalogs = CATALOG_SCRIPT.findall(text)
        if not catalogs:
            continue
        assert len(catalogs) == 1, f"{where}: one catalog per page"
        prefix = catalogs[0]
        found += [(where, prefix, key, False) for key in DATA_T.findall(text)]
        for blueprint, filename in SCRIPT_FILE.findall(text):
            for js in with_imports(script_path(blueprint, filename)):
                src = js.read_text()
                where_js = str(js.relative_to(ROOT))
                found += [(where_js, prefix, key, False) for _, key in JS_T.findall(src)]
                found += [(where_js, prefix, key, True) for key in JS_T_TEMPLATE.findall(src) if key]
    for py in [p for s in SURFACES for p in (ROOT / s).rglob("*.py")]:
        found += [(str(py.relative_to(ROOT)), prefix, key, False) for prefix, key in PY_GETTEXT.findall(py.read_text())]
    return found


def test_every_surface_is_registered():
    assert {"kiosk", "ticket", "display", "counter", "cadmin", "dashboard", "errors"} <= i18n.prefixes()


@pytest.mark.parametrize("prefix", sorted(i18n.prefixes()))
def test_both_languages_have_the_same_keys(prefix):
    only_id = keys("id", prefix) - keys("en", prefix)
    only_en = keys("en", prefix) - keys("id", prefix)
    assert not only_id and not only_en, f"{prefix}: only in id {sorted(only_id)}, only in en {sorted(only_en)}"


def test_the_scan_finds_the_screens_and_their_scripts():
    """The scan itself must see what it is meant to check, or the next test could pass on nothing."""
    found = uses()
    wheres = {w for w, *_ in found}
    for script in ("kiosk/static/kiosk.js", "visitor/static/ticket.js", "display/static/display.js",
                   "counter/static/panel.js", "dashboard/static/dashboard.js", "dashboard/static/common.js"):
        assert script in wheres, script
    assert ("kiosk/static/kiosk.js", "kiosk", "retrying", False) in found
    assert any(p == "ticket" and k == "status_" and is_prefix for _, p, k, is_prefix in found)
    assert len(found) > 250


def test_every_key_used_exists_in_its_surface():
    missing = []
    for where, prefix, key, is_prefix in uses():
        known = keys("id", prefix)
        ok = any(k.startswith(key) for k in known) if is_prefix else key in known
        if not ok:
            missing.append(f"{where}: {prefix}.{key}{'*' if is_prefix else ''}")
    assert missing == []


def test_the_api_keeps_english_messages_and_pages_speak_the_screen_language(client):
    resp = client.get("/api/tickets/no-such-token")
    assert resp.status_code == 404
    assert resp.json["error"]["message"] in {"No such ticket.", "No ticket with that token."}
    assert i18n.translate("en", "errors.database_unavailable") == "The database is not reachable; try again shortly."
    assert i18n.translate("id", "errors.database_unavailable") == "Basis data sedang tidak tersedia."
