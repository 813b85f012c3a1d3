"""Screen language: Bahasa Indonesia by default, English on request.

Each surface registers its own strings (``register("kiosk", {"id": {...}, "en": {...}})``); templates
call ``_("kiosk.take_ticket")`` and JavaScript reads the page's catalog from a JSON block rendered by
``catalog_script(prefix)`` (read by ``/static/js/i18n.js``). The language comes from ``?lang=``, then the ``lang`` cookie, then the site's
locale, so one kiosk can switch to English without changing the site.
"""

from __future__ import annotations

import json

from flask import Flask, current_app, has_request_context, request
from markupsafe import Markup

LANGS = ("id", "en")
_catalogs: dict[str, dict[str, str]] = {"id": {}, "en": {}}


def register(prefix: str, strings: dict[str, dict[str, str]]) -> None:
    """Add a surface's strings under ``prefix.`` (the Indonesian set must be complete)."""
    for lang in LANGS:
        for key, text in strings.get(lang, {}).items():
            _catalogs[lang][f"{prefix}.{key}"] = text


def current_lang() -> str:
    if has_request_context():
        for value in (request.args.get("lang"), request.cookies.get("lang")):
            if value in LANGS:
                return value
    return current_app.extensions["site"].locale


def translate(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang``, falling back to Indonesian, then the key (no request needed)."""
    text = _catalogs.get(lang, {}).get(key) or _catalogs["id"].get(key) or key
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in _catalogs["id"]


def gettext(key: str, **values: object) -> str:
    """The text for ``key`` in the current language, falling back to Indonesian, then the key."""
    return translate(current_lang(), key, **values)


def prefixes() -> set[str]:
    """Every registered surface (for the catalog's own tests)."""
    return {key.split(".", 1)[0] for lang in LANGS for key in _catalogs[lang]}


def catalog(lang: str, prefix: str) -> dict[str, str]:
    """One language's strings of a surface exactly as registered (no fallback)."""
    start = prefix + "."
    return {k[len(start):]: v for k, v in _catalogs[lang].items() if k.startswith(start)}


def strings(prefix: str) -> dict[str, str]:
    """A surface's strings in the current language (Indonesian where a translation is missing)."""
    lang = current_lang()
    start = prefix + "."
    out = {k[len(start):]: v for k, v in _catalogs["id"].items() if k.startswith(start)}
    out.update({k[len(start):]: v for k, v in _catalogs[lang].items() if k.startswith(start)})
    return out


def catalog_json(prefix: str) -> Markup:
    """Both languages' strings of a surface as JSON, for a ``<script type="application/json">`` block."""
    data = {lang: catalog(lang, prefix) for lang in LANGS}
    # escape "<" so the JSON can never close its script element
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def catalog_script(prefix: str) -> Markup:
    """The JSON block a page's JavaScript reads its texts from (``/static/js/i18n.js`` finds it by its id)."""
    return Markup(f'<script type="application/json" id="{prefix}-strings">{catalog_json(prefix)}</script>')


def init_app(app: Flask) -> None:
    from queue_app.core.formats import FILTERS  # cycle: formats registers its words in this catalogue

    app.jinja_env.globals.update(_=gettext, current_lang=current_lang, catalog_json=catalog_json,
                                 catalog_script=catalog_script, strings=strings)
    app.jinja_env.filters.update(FILTERS)  # number, percent, day_month, long_date: one way per language
