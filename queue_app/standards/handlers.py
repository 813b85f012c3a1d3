"""The standards over HTTP: a service's Standar Pelayanan (public), the site's facts, the admin's edit."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.core.extensions import db
from queue_app.core.lookups import get_service
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role

from . import operations
from .shapes import AdminStandard, ServiceStandard, SiteInfo, StandardBody


@bp.get("/services/<code>/standard")
@documented("A service's Standar Pelayanan (PermenPANRB 15/2014), its components in the regulation's order",
            tags="public", responses={200: ServiceStandard}, errors=(404,))
def service_standard(code: str):
    return jsonify(operations.standard_view(code))


@bp.get("/site")
@documented("The site's name, language, time zone, address and Maklumat Pelayanan", tags="public",
            responses={200: SiteInfo})
def site_info():
    return jsonify(operations.site_view())


def _admin_view(code: str) -> dict[str, Any]:
    return {"service": code, "source": operations.source(code),
            "components": [{"key": c["key"], "name": c["name"], "value": c["value"]}
                           for c in operations.components(code)]}


@bp.put("/admin/services/<code>/standard")
@documented("Replace a service's standard (all components at once, checked as config.toml's are)", tags="admin",
            body=StandardBody, responses={200: AdminStandard}, errors=(400, 401, 403, 404, 413, 422), staff=True)
@staff_required(Role.admin)
def admin_set_standard(code: str):
    data = parse_body(StandardBody)
    service = get_service(code)
    operations.set_standard(current_user._get_current_object(), service.code, data.model_dump())
    db.session.commit()
    return jsonify(_admin_view(service.code))


@bp.delete("/admin/services/<code>/standard")
@documented("Drop the admin's version of a service's standard: config.toml's applies again", tags="admin",
            responses={200: AdminStandard}, errors=(400, 401, 403, 404), staff=True)
@staff_required(Role.admin)
def admin_reset_standard(code: str):
    service = get_service(code)
    operations.reset_standard(current_user._get_current_object(), service.code)
    db.session.commit()
    return jsonify(_admin_view(service.code))
