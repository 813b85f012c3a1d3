"""``POST /api/services/<code>/notice``: staff's notice to everyone waiting for a service (:mod:`.notice`)."""

from __future__ import annotations

from typing import Annotated

from flask import jsonify
from flask_login import current_user
from pydantic import StringConstraints

from queue_app.api import bp
from queue_app.api.declare import Answer, Shape, documented, parse_body
from queue_app.core.extensions import db
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role

from . import notice


class NoticeRequest(Shape):
    """The notice's text (trimmed; blank → 422)."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=notice.MAX_TEXT)]


class NoticeSent(Answer):
    """Who the notice reached."""

    #: the phones messaged (a ``notice`` WhatsApp/SMS each): the waiting tickets that gave one
    recipients: int
    #: the tickets waiting for the service (their open phone pages and the displays got it live)
    waiting: int


@bp.post("/services/<code>/notice")
@documented("Send a notice to everyone waiting for a service: their phone pages, the hall displays and the "
            "phones they gave (WhatsApp/SMS)", tags="staff", body=NoticeRequest, responses={202: NoticeSent},
            staff=True, errors=(400, 401, 403, 404, 415, 422))
@staff_required(Role.manager, Role.admin)
def service_notice(code: str):
    """A manager of the service's agency, or an admin: 202 ``{"recipients", "waiting"}``."""
    data = parse_body(NoticeRequest)
    body = notice.send_notice(code, data.text, actor=current_user._get_current_object())
    db.session.commit()
    return jsonify(body), 202
