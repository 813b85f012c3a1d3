"""The satisfaction survey over HTTP: the questionnaire, answers from the phone and the counter tablet,
and the IKM report (JSON and the workbook survey teams hand in)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from queue_app.api import bp
from queue_app.api.declare import Media, documented, parse_body
from queue_app.api.parsing import date_range, month_range
from queue_app.core.errors import Forbidden, NotFound
from queue_app.core.exports import XLSX_MIME
from queue_app.core.extensions import db
from queue_app.core.i18n import current_lang
from queue_app.core.lookups import get_counter
from queue_app.core.models import Service
from queue_app.core.site import today as site_today
from queue_app.queue.operations import get_ticket_by_token
from queue_app.staff.auth import scoped_agency, staff_required
from queue_app.staff.models import Role
from queue_app.survey import actions, operations
from queue_app.survey.models import SurveyChannel
from queue_app.survey.questionnaire import unsur_view
from queue_app.survey.shapes import (
    ActionChange,
    IkmActionView,
    IkmReport,
    NewAction,
    PublicIkm,
    PublishedIkm,
    Questionnaire,
    SurveyAnswer,
    SurveyState,
    SurveySubmitted,
    TabletAnswer,
)
from queue_app.survey.tablet import TABLET_HEADER, require_tablet, ticket_for_offer


def _submit(data: SurveyAnswer, *, token: str = "", ticket=None, channel: SurveyChannel):  # noqa: ANN001, ANN202
    answers = data.answers.model_dump()
    respondent = data.respondent.model_dump() if data.respondent else None
    try:
        row = operations.submit_survey(token, answers, respondent=respondent, comment=data.comment,
                                       channel=channel, ticket=ticket)
        body = operations.submitted_view(row)
        db.session.commit()
    except IntegrityError:  # SQLite or a late unique check: the other answer of a race won
        db.session.rollback()
        raise operations.SurveyExists("This visit's survey has already been answered.") from None
    return jsonify(body), 201


@bp.get("/survey")
@documented("The questionnaire: the nine elements (U1..U9) with their question and four answer labels",
            tags="survey", responses={200: Questionnaire},
            query={"lang": ({"type": "string"}, False, '"id" or "en"; anything else: the site\'s language')})
def survey_questionnaire():
    return jsonify({"unsur": unsur_view(current_lang())})


@bp.get("/tickets/<token>/survey")
@documented("Whether this visit's survey can be answered", tags="survey", responses={200: SurveyState},
            errors=(404,))
def survey_state(token: str):
    from queue_app.core.site import current_site

    state = operations.survey_state(get_ticket_by_token(token))
    return jsonify({"state": state, "days_open": current_site().survey_days_open})


@bp.post("/tickets/<token>/survey")
@documented("Answer the survey of a finished visit (once per ticket)", tags="survey", body=SurveyAnswer,
            responses={201: SurveySubmitted}, errors=(400, 404, 409, 413, 422))
def survey_submit(token: str):
    data = parse_body(SurveyAnswer)
    return _submit(data, token=token, channel=SurveyChannel.phone)


@bp.post("/survey/tablet/<code>")
@documented("Answer the survey on a counter's tablet, for the visit its offer names (the tablet's device key: "
            "its enrolment cookie, or X-Survey-Key)", tags="survey",
            body=TabletAnswer, responses={201: SurveySubmitted}, errors=(400, 401, 404, 409, 413, 422),
            headers={TABLET_HEADER: ({"type": "string"}, False, "the key from `mpp-queue survey key CODE`")})
def survey_tablet_submit(code: str):
    counter = get_counter(code)
    require_tablet(counter)
    data = parse_body(TabletAnswer)
    ticket = ticket_for_offer(data.offer, counter)
    return _submit(data, ticket=ticket, channel=SurveyChannel.tablet)


def _service_scope(agency_id: int | None) -> int | None:
    code = request.args.get("service")
    if not code:
        return None
    service = db.session.scalar(sa.select(Service).where(Service.code == code))
    if service is None:
        raise NotFound(f'No service with code "{code}".')
    if agency_id is not None and service.agency_id != agency_id:
        raise Forbidden("That service belongs to another agency.")
    return service.id


@bp.get("/survey/published")
@documented("This month's IKM of the site, for the hall display (only with [display] show_ikm = true)",
            tags="survey", responses={200: PublishedIkm}, errors=(404,))
def survey_published():
    from queue_app.core.site import current_site

    if not current_site().display.show_ikm:
        raise NotFound("This site does not publish its IKM on the displays.")
    today = site_today()
    data = operations.ikm(today.replace(day=1), today)
    rounded = None if data["ikm"] is None else float(operations.round2(data["ikm"]))
    return jsonify({"month": today.strftime("%Y-%m"), "ikm": data["ikm"], "ikm_rounded": rounded, "grade": data["grade"],
                    "grade_label": data["grade_label"], "respondents": data["respondents"]})



IKM_QUERY = {
    "from": ({"type": "string", "format": "date"}, False, "first local day (default today)"),
    "to": ({"type": "string", "format": "date"}, False, "last local day, included (default: from)"),
    "month": ({"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"}, False, "instead of from/to"),
    "agency": ({"type": "string"}, False, "agency code (a scoped manager: only their own)"),
    "service": ({"type": "string"}, False, "service code"),
}


@bp.get("/stats/ikm")
@staff_required(Role.manager, Role.admin)
@documented("The IKM (Indeks Kepuasan Masyarakat) of a range of local days", tags="stats",
            responses={200: IkmReport}, errors=(401, 403, 404, 422), staff=True, query=IKM_QUERY)
def stats_ikm():
    first, last = date_range()
    agency_id = scoped_agency()
    return jsonify(operations.ikm(first, last, agency_id=agency_id, service_id=_service_scope(agency_id)))


@bp.get("/stats/ikm.xlsx")
@staff_required(Role.manager, Role.admin)
@documented("The IKM report as the workbook survey teams hand in (Bahasa Indonesia; default this month)",
            tags="stats", responses={200: Media(XLSX_MIME, "The IKM workbook")}, errors=(401, 403, 404, 422), staff=True,
            query=IKM_QUERY)
def stats_ikm_xlsx():
    if not request.args.get("from") and not request.args.get("month"):
        first, last = month_range(site_today().strftime("%Y-%m"))
    else:
        first, last = date_range()
    agency_id = scoped_agency()
    from queue_app.survey import workbook  # openpyxl (5 MB) only in a process that writes a workbook

    data = workbook.ikm_workbook(first, last, agency_id=agency_id, service_id=_service_scope(agency_id))
    filename = f"ikm-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- the follow-up (rencana tindak lanjut) and the published results ---------------------------------------


@bp.post("/stats/ikm/actions")
@staff_required(Role.manager, Role.admin)
@documented("Plan a follow-up action on an element of a month's survey (a manager: for their agency)",
            tags="stats", body=NewAction, responses={201: IkmActionView},
            errors=(400, 401, 403, 404, 413, 422), staff=True)
def ikm_action_create():
    data = parse_body(NewAction)
    row = actions.create_action(current_user._get_current_object(), period=data.period, unsur=data.unsur,
                                action=data.action, owner=data.owner, due=data.due, agency=data.agency)
    db.session.commit()
    return jsonify(actions.action_view(row)), 201


@bp.patch("/stats/ikm/actions/<action_id>")
@staff_required(Role.manager, Role.admin)
@documented("Move a follow-up action on (in_progress, done) with its evidence", tags="stats", body=ActionChange,
            responses={200: IkmActionView}, errors=(400, 401, 403, 404, 413, 422), staff=True)
def ikm_action_update(action_id: str):
    # a plain path segment, not an <int:> converter: who asks is checked before whether the action exists
    if not re.fullmatch(r"[0-9]{1,18}", action_id):
        raise actions.ActionNotFound(f'No follow-up action "{action_id}".')
    data = parse_body(ActionChange)
    row = actions.update_action(current_user._get_current_object(), int(action_id), status=data.status,
                                evidence=data.evidence)
    db.session.commit()
    return jsonify(actions.action_view(row))


@bp.get("/stats/ikm/actions")
@staff_required(Role.manager, Role.admin)
@documented("The follow-up actions of a month (or all), of one agency (a scoped manager: only their own)",
            tags="stats", responses={200: list[IkmActionView]}, errors=(401, 403, 404, 422), staff=True,
            query={"period": ({"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"}, False,
                              "a month like 2026-12 (default: every month)"),
                   "agency": ({"type": "string"}, False, "agency code (a scoped manager: only their own)")})
def ikm_action_list():
    period = request.args.get("period") or None
    if period is not None:
        actions.check_period(period)
    return jsonify(actions.actions_view(actions.list_actions(period=period, agency_id=scoped_agency())))


@bp.get("/public/ikm")
@documented("The published survey results: this month's and last month's IKM, per agency, and the follow-up "
            "actions with their status (no sign-in; never a comment, a name or a phone)", tags="public",
            responses={200: PublicIkm})
def public_ikm():
    return jsonify(actions.public_ikm())
