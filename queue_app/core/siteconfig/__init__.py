"""Load and validate config.toml, the one file that describes a site.

A bad file is refused at start with a message naming the key and the problem, because a
half-loaded site (a counter pointing at a service that does not exist...) fails later in
front of a visitor instead of in front of the person editing the file. Unknown keys are
refused too: a misspelt ``database_url`` would otherwise quietly run the site on SQLite.

The tables are pydantic models (``models.py``, ``calendar.py``); this module reads the file and
turns pydantic's errors into one line per problem, such as ``services[2].prefix: duplicate prefix "A"``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .calendar import DAYS, BookingConf, Holiday, SurveySection, TimeRange, WeeklyHours
from .models import AgencyConf, ConfigFile, CounterConf, DisplayConf, KioskConf, ServiceConf
from .site import BadEnvironment, SiteConf, build_site
from .standards import COMPONENT_KEYS, COMPONENTS, ComplaintsSection, Component, StandardConf

__all__ = [
    "COMPONENTS", "COMPONENT_KEYS", "ComplaintsSection", "Component", "StandardConf",
    "DAYS", "AgencyConf", "BookingConf", "ConfigError", "CounterConf", "DisplayConf", "Holiday", "KioskConf",
    "ServiceConf", "SiteConf", "SurveySection", "TimeRange", "WeeklyHours", "load_site_config",
    "parse_site_config", "resolve_config_path",
]

#: Tables that must be present, and arrays of tables that need at least one entry
REQUIRED_TABLES = ("site",)
REQUIRED_ARRAYS = ("agencies", "services")
ARRAYS = ("agencies", "services", "counters", "printers", "kiosks", "holidays")


class ConfigError(ValueError):
    """config.toml is missing, unreadable or invalid; the message names the key."""


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Pick the file: the explicit path, else $MPP_QUEUE_CONFIG, else ./config.toml."""
    return Path(path or os.environ.get("MPP_QUEUE_CONFIG") or "config.toml")


def load_site_config(path: str | os.PathLike[str] | None = None) -> SiteConf:
    """Read, validate and return the site configuration.

    :raise ConfigError: with a message such as ``services[2].prefix: duplicate prefix "A"``.
    """
    p = resolve_config_path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (use --config PATH or $MPP_QUEUE_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return parse_site_config(raw, base_dir=p.resolve().parent, path=p)


def parse_site_config(raw: dict[str, Any], *, base_dir: Path, path: Path | None = None) -> SiteConf:
    """Validate a parsed TOML document; see :func:`load_site_config`.

    Every problem is reported, one per line, so a file with three typos needs one edit, not three starts.
    """
    try:
        file = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc)) from None
    try:
        return build_site(file, base_dir=base_dir, path=path)
    except BadEnvironment as exc:
        raise ConfigError(str(exc)) from None


def format_errors(exc: ValidationError) -> str:
    lines: list[str] = []
    errors = exc.errors(include_url=False)
    for err in errors:
        loc, ctx = tuple(err["loc"]), err.get("ctx") or {}
        if err["type"] == "too_short" and any(len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc
                                              for e in errors):
            continue  # a list whose entries are wrong is also "too short": the entries are the news
        if err["type"] == "config_many":
            lines += [f"{key_path(loc + tuple(sub))}: {message}" for sub, message in ctx["problems"]]
        elif err["type"] == "config":
            lines.append(f"{key_path(loc + tuple(ctx.get('sub', ())))}: {ctx['message']}")
        else:
            lines.append(_standard(err["type"], loc, ctx, err["msg"]))
    return "\n".join(dict.fromkeys(lines))


def key_path(loc: tuple[Any, ...]) -> str:
    """``("services", 2, "prefix")`` → ``services[2].prefix`` (0-based, like the TOML arrays in Python)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _standard(kind: str, loc: tuple[Any, ...], ctx: dict[str, Any], fallback: str) -> str:
    """Pydantic's own error types in the words of this file's documentation."""
    top = loc[0] if len(loc) == 1 else None
    if top in REQUIRED_TABLES and kind == "missing":
        return f"[{top}]: missing table"
    if top in REQUIRED_ARRAYS and kind in ("missing", "too_short"):
        return f"[[{top}]]: at least one entry is needed"
    if top in ARRAYS and kind == "list_type":
        return f"{top}: must be an array of tables ([[{top}]])"
    if top is not None and kind == "model_type":
        return f"{top}: must be a table ([{top}])"
    if top is not None and kind == "extra_forbidden":
        return f"{top}: unknown top-level key"
    message = {
        "missing": "missing",
        "extra_forbidden": "unknown key",
        "int_type": "must be a whole number",
        "float_type": "must be a number",
        "string_type": "must be a string",
        "bool_type": "must be true or false",
        "model_type": "must be a table",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than": "must be a positive number" if ctx.get("gt") == 0 else f"must be more than {ctx.get('gt')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "too_short": "must not be empty" if ctx.get("min_length") == 1 else f"needs {ctx.get('min_length')} entries",
    }.get(kind, fallback)
    return f"{key_path(loc)}: {message}"
