"""Value types of config.toml shared by every table: codes, prefixes, names, choices, the time zone.

Each is an ``Annotated`` type whose validator raises :func:`problem`, so the message the site's
administrator reads is ours ("must be one to three capital letters"), not pydantic's.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
URL_RE = re.compile(r"^https?://[^/\s]+")


class Model(BaseModel):
    """Base of every table: unknown keys are refused (a typo must not silently fall back to a default),
    values are not coerced (``"15"`` is not a number), and a loaded configuration cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def problem(message: str) -> PydanticCustomError:
    """An error whose text is shown as is after the key's path (see ``format_errors``)."""
    return PydanticCustomError("config", "{message}", {"message": message})


def _non_empty(value: str) -> str:
    if not value.strip():
        raise problem("must not be empty")
    return value


def _code(value: str) -> str:
    if not CODE_RE.match(value):
        raise problem(f'"{value}" must be 1-32 letters, digits, "-", "_" or "."')
    return value


def _prefix(value: str) -> str:
    if not PREFIX_RE.match(value):
        raise problem(f'must be one to three capital letters, not "{value}"')
    return value


def _zone(value: str) -> str:
    if not CODE_RE.match(value):
        raise problem(f'"{value}" must be letters, digits, "-", "_" or "." (no spaces)')
    return value


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f'unknown time zone "{value}" (use an IANA name such as "Asia/Jakarta")') from None
    return value


def _base_url(value: str) -> str:
    value = value.rstrip("/")
    if not URL_RE.match(value):
        raise problem(f'must be an absolute http(s) URL, not "{value}"')
    return value


def choice(*allowed: str) -> Any:
    """A string that must be one of ``allowed``; the message lists them."""
    if len(allowed) == 2:
        listed = f'must be "{allowed[0]}" or "{allowed[1]}"'
    else:
        listed = f"must be one of {', '.join(allowed)}"

    def check(value: str) -> str:
        if value not in allowed:
            raise problem(f'{listed}, not "{value}"')
        return value

    return Annotated[str, AfterValidator(check)]


NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]
Code = Annotated[str, AfterValidator(_non_empty), AfterValidator(_code)]
Prefix = Annotated[str, AfterValidator(_prefix)]
Zone = Annotated[str, AfterValidator(_zone)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
#: TOML arrays arrive as lists; the loaded configuration keeps tuples so it cannot be changed in place
CodeList = Annotated[tuple[str, ...], Field(strict=False)]
