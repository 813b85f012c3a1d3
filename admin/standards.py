"""The admin's publication pages: each service's Standar Pelayanan (edited with the same rules as config.toml),
the maklumat, and the links to what the public sees (the complaint poster among them)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from queue_app.core.lookups import active_services, get_service
from queue_app.core.site import current_site
from queue_app.core.siteconfig import COMPONENTS
from queue_app.standards import operations as standards

from . import standards_strings  # noqa: F401  (registers the texts)
from .views import _actor, _apply, admin_page, bp


def _lines(value: Any) -> str:
    return "\n".join(value) if isinstance(value, list) else (value or "")


def from_form(form: Any) -> dict[str, Any]:
    """The form's textareas as components: one line is a text, several lines a list (blank lines dropped)."""
    out: dict[str, Any] = {}
    for c in COMPONENTS:
        lines = [line.strip() for line in form.get(c.key, "").splitlines() if line.strip()]
        out[c.key] = None if not lines else lines[0] if len(lines) == 1 else lines
    return out


@bp.get("/standards")
@admin_page
def standards_list():
    rows = [{"service": s, "source": standards.source(s.code), "count": len(standards.values(s.code))}
            for s in active_services()]
    return render_template("admin/standards.html", rows=rows, maklumat=current_site().maklumat, tab="standards")


@bp.get("/standards/<code>")
@admin_page
def standard_edit(code: str):
    service = get_service(code)
    current = standards.values(service.code)
    fields = [{"key": c.key, "name": c.name, "public": c.public, "text": _lines(current.get(c.key))} for c in COMPONENTS]
    return render_template("admin/standard.html", service=service, fields=fields,
                           source=standards.source(service.code), tab="standards")


@bp.post("/standards/<code>")
@admin_page
def standard_save(code: str):
    return _apply(lambda: standards.set_standard(_actor(), code, from_form(request.form)),
                  url_for("admin.standard_edit", code=code))


@bp.post("/standards/<code>/reset")
@admin_page
def standard_reset(code: str):
    return _apply(lambda: standards.reset_standard(_actor(), code), url_for("admin.standard_edit", code=code))
