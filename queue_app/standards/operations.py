"""A service's Standar Pelayanan: config.toml's ``[services.standard]``, or the admin's replacement.

The admin's version lives in a ``settings`` row (``standard:<CODE>``), so every process reads it from the
catalogue it already keeps (``queue_app.core.lookups.setting_value``) and sees a change at once; removing it
brings config.toml's back. Both are checked by the same model (``StandardConf``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from queue_app.core.database import begin_write
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_service, setting_value
from queue_app.core.models import Setting
from queue_app.core.site import current_site
from queue_app.core.siteconfig import COMPONENTS, StandardConf
from queue_app.staff.admin import audit, store_setting
from queue_app.staff.models import User

from .errors import NoStandard

SETTING_PREFIX = "standard:"
BY_KEY = {c.key: c for c in COMPONENTS}


def setting_key(code: str) -> str:
    return SETTING_PREFIX + code


def source(code: str) -> str:
    """Where the service's standard comes from: ``admin`` (changed at run time), ``config`` or ``none``."""
    if setting_value(setting_key(code)) is not None:
        return "admin"
    conf = current_site().service(code)
    return "config" if conf is not None and conf.standard is not None else "none"


def values(code: str) -> dict[str, Any]:
    """The components that are set, in the regulation's order: the admin's version, else config.toml's."""
    override = setting_value(setting_key(code))
    if override is not None:
        return {c.key: override[c.key] for c in COMPONENTS if override.get(c.key) is not None}
    conf = current_site().service(code)
    return conf.standard.values() if conf is not None and conf.standard is not None else {}


def components(code: str, *, public_only: bool = False) -> list[dict[str, Any]]:
    """``[{"key", "name", "name_en", "value"}]`` of a service, in order; ``public_only``: the six of service
    delivery (what a visitor is shown)."""
    set_values = values(code)
    return [{"key": c.key, "name": c.name, "name_en": c.name_en, "value": set_values[c.key]}
            for c in COMPONENTS if c.key in set_values and (c.public or not public_only)]


def standard_view(code: str) -> dict[str, Any]:
    """``GET /api/services/<code>/standard``.

    :raise ServiceNotFound: unknown or inactive service (404).
    :raise NoStandard: the service publishes no standard (404).
    """
    service = get_service(code)
    found = components(service.code)
    if not found:
        raise NoStandard(f"{service.name} has no published standard.")
    return {"service": service.code, "service_name": service.name, "agency": service.agency.code,
            "components": [{"key": c["key"], "name": c["name"], "value": c["value"]} for c in found]}


def public_standards(codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The six public components of each of ``codes`` that has any (the kiosk's and booking page's data)."""
    out = {}
    for code in codes:
        found = components(code, public_only=True)
        if found:
            out[code] = found
    return out


def _blank_dropped(value: Any) -> Any:
    """What an admin's form sends for a component left empty is "not shown": "" and blank lines go."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list | tuple):
        lines = [x.strip() if isinstance(x, str) else x for x in value]
        return [x for x in lines if x != ""] or None
    return value


def check(raw: dict[str, Any]) -> dict[str, Any]:
    """The admin's components checked as config.toml's are. :raise ValidationFailed:"""
    cleaned = {k: _blank_dropped(v) for k, v in raw.items()}
    try:
        return StandardConf.model_validate({k: v for k, v in cleaned.items() if v is not None}).values()
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = (err.get("ctx") or {}).get("message") or err["msg"]
        raise ValidationFailed(f'Field "{field}": {message}.', field=field) from None


def set_standard(actor: User | None, code: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Replace a service's standard (every component at once; one left empty is not shown). The caller commits.

    :raise ServiceNotFound:
    :raise ValidationFailed: a component that config.toml would refuse too.
    """
    begin_write()
    service = get_service(code)
    checked = check(raw)
    before = values(service.code)
    store_setting(actor, setting_key(service.code), checked)
    audit(actor, "standard_set", service.code, before=before, after=checked)
    db.session.flush()
    return checked


def reset_standard(actor: User | None, code: str) -> dict[str, Any]:
    """Drop the admin's version: config.toml's standard (or none) applies again. The caller commits."""
    begin_write()
    service = get_service(code)
    row = db.session.get(Setting, setting_key(service.code))
    if row is not None:
        before = values(service.code)
        db.session.delete(row)
        audit(actor, "standard_reset", service.code, before=before)
        db.session.flush()
    return values(service.code)


def maklumat() -> str:
    """The site's Maklumat Pelayanan ("" when config.toml has none)."""
    return current_site().maklumat


def site_view() -> dict[str, Any]:
    """``GET /api/site``."""
    site = current_site()
    return {"name": site.name, "locale": site.locale, "timezone": site.timezone, "base_url": site.base_url,
            "maklumat": site.maklumat}
