"""The survey's verbs: take one answer per finished ticket, and compute the IKM of a period.

IKM (PermenPANRB 14/2017, as the contract words it): per element ``nrr`` = mean answer, ``nrr_weighted`` =
``nrr / 9``, per element ``ikm`` = ``nrr × 25``; total ``ikm`` = ``Σ nrr_weighted × 25``. The grade is read
from the value rounded half-up to two decimals. The database adds up (COUNT and SUM per element); the
divisions are done here on exact fractions, so 88.305 rounds to 88.31 on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import QueueError, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import current_site, iso
from queue_app.queue.models import Ticket, TicketState

from .models import ANSWER_COLUMNS, SurveyChannel, SurveyResponse
from .questionnaire import CODES, UNSUR


class NotFinished(QueueError):
    """The survey opens once the visit is finished."""

    code = "not_finished"


class SurveyExists(QueueError):
    """This visit's survey has already been answered."""

    code = "survey_exists"


class SurveyClosed(QueueError):
    """This visit's survey is closed: it was finished too long ago."""

    code = "survey_closed"


# --- answering ----------------------------------------------------------------------------------------

MAX_COMMENT = 2000
MAX_TEXT = 64


def check_answers(answers: Any) -> list[int]:
    """U1..U9 → their values in order. :raise ValidationFailed: a missing, extra-typed or out-of-range answer."""
    if not isinstance(answers, dict):
        raise ValidationFailed('Field "answers" must be an object.', field="answers")
    values = []
    for code in CODES:
        value = answers.get(code)
        if value is None:
            raise ValidationFailed(f'Missing field "answers.{code}".', field=f"answers.{code}")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise ValidationFailed(f'Field "answers.{code}" must be a whole number from 1 to 4.',
                                   field=f"answers.{code}")
        values.append(value)
    return values


def _profile(respondent: dict[str, Any] | None) -> dict[str, Any]:
    """The optional profile, checked. :raise ValidationFailed:"""
    r = respondent or {}
    gender, age = r.get("gender"), r.get("age")
    if gender is not None and gender not in ("L", "P"):
        raise ValidationFailed('Field "respondent.gender" must be "L" or "P".', field="respondent.gender")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 10 <= age <= 120):
        raise ValidationFailed('Field "respondent.age" must be a whole number from 10 to 120.',
                               field="respondent.age")
    out: dict[str, Any] = {"gender": gender, "age": age}
    for name in ("education", "occupation"):
        value = r.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise ValidationFailed(f'Field "respondent.{name}" must be a text of at most {MAX_TEXT} characters.',
                                   field=f"respondent.{name}")
        out[name] = value.strip() or None if isinstance(value, str) else None
    return out


def survey_state(ticket: Ticket) -> str:
    """``open``, ``answered``, ``closed`` or ``not_finished``: what the phone and the tablet should show."""
    if ticket.status is not TicketState.done or ticket.finished_at is None:
        return "not_finished"
    if db.session.scalar(sa.select(SurveyResponse.id).where(SurveyResponse.ticket_id == ticket.id)) is not None:
        return "answered"
    if clock.utcnow() > ticket.finished_at + timedelta(days=current_site().survey_days_open):
        return "closed"
    return "open"


def submit_survey(token: str, answers: dict[str, Any], *, respondent: dict[str, Any] | None = None,
                  comment: str | None = None, channel: SurveyChannel = SurveyChannel.phone,
                  ticket: Ticket | None = None) -> SurveyResponse:
    """Record the one answer of a finished ticket (by its token, or the ticket itself for the tablet).

    :raise TicketNotFound: unknown token (404).
    :raise ValidationFailed: a missing or out-of-range answer, a bad profile field (422).
    :raise NotFinished, SurveyExists, SurveyClosed: (409).
    """
    from queue_app.queue.operations import get_ticket_by_token

    values = check_answers(answers)
    profile = _profile(respondent)
    if comment is not None and not isinstance(comment, str):
        raise ValidationFailed('Field "comment" must be a string.', field="comment")
    comment = (comment or "").strip()[:MAX_COMMENT]
    begin_write()
    ticket = ticket if ticket is not None else get_ticket_by_token(token)
    state = survey_state(ticket)
    if state == "not_finished":
        raise NotFinished("The survey opens once the visit is finished.")
    if state == "answered":
        raise SurveyExists("This visit's survey has already been answered.")
    if state == "closed":
        raise SurveyClosed(f"The survey closes {current_site().survey_days_open} days after the visit.")
    service = db.session.get(Service, ticket.service_id)
    row = SurveyResponse(
        ticket_id=ticket.id, service_id=ticket.service_id, agency_id=service.agency_id,
        counter_id=ticket.counter_id, finished_day=clock.local_day(current_site().tz, ticket.finished_at),
        comment=comment, submitted_at=clock.utcnow(), channel=channel, **profile,
        **dict(zip(ANSWER_COLUMNS, values, strict=True)),
    )
    try:
        with db.session.begin_nested():  # PostgreSQL: the other answer of a race committed first
            db.session.add(row)
    except IntegrityError:
        raise SurveyExists("This visit's survey has already been answered.") from None
    return row


# --- the index ----------------------------------------------------------------------------------------

GRADES = (  # lowest value of the band (two decimals), grade, label
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)


def round2(value: Fraction | float) -> Decimal:
    """Half-up to two decimals; a float is taken as written (88.305 → 88.31), a fraction exactly."""
    if isinstance(value, Fraction):
        return Decimal(math.floor(value * 100 + Fraction(1, 2))) / 100
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(value: Fraction | float | None) -> tuple[str, str] | tuple[None, None]:
    """(grade, label) of an IKM value (25–100), read from the value rounded to two decimals."""
    if value is None:
        return None, None
    r = round2(value)
    for low, letter, label in GRADES:
        if r >= low:
            return letter, label
    return "D", "Tidak Baik"


def min_sample(population: int) -> int:
    """Krejcie–Morgan: s = χ²NP(1−P) / (d²(N−1) + χ²P(1−P)), χ² = 3.841, P = 0.5, d = 0.05, rounded up."""
    if population <= 0:
        return 0
    chi, p, d = Fraction(3841, 1000), Fraction(1, 2), Fraction(1, 20)
    s = chi * population * p * (1 - p) / (d * d * (population - 1) + chi * p * (1 - p))
    return math.ceil(s)


def scope_filter(query: sa.Select, *, agency_id: int | None, service_id: int | None) -> sa.Select:
    if agency_id is not None:
        query = query.where(SurveyResponse.agency_id == agency_id)
    if service_id is not None:
        query = query.where(SurveyResponse.service_id == service_id)
    return query


def answer_sums(first: date, last: date, *, agency_id: int | None = None,
                service_id: int | None = None) -> tuple[int, list[int]]:
    """(respondents, the sum of each element's answers) over surveys of visits finished first..last."""
    cols = [sa.func.count(SurveyResponse.id)] + [sa.func.coalesce(sa.func.sum(getattr(SurveyResponse, c)), 0)
                                                 for c in ANSWER_COLUMNS]
    query = sa.select(*cols).where(SurveyResponse.finished_day.between(first, last))
    row = db.session.execute(scope_filter(query, agency_id=agency_id, service_id=service_id)).one()
    return int(row[0]), [int(v) for v in row[1:]]


def population(first: date, last: date, *, agency_id: int | None = None, service_id: int | None = None) -> int:
    """Tickets done (finished) in local days first..last, counted under the service they ended in."""
    start, end = clock.day_bounds(current_site().tz, first, last)
    query = sa.select(sa.func.count(Ticket.id)).where(
        Ticket.status == TicketState.done, Ticket.finished_at >= start, Ticket.finished_at < end)
    if agency_id is not None:
        query = query.join(Service, Service.id == Ticket.service_id).where(Service.agency_id == agency_id)
    if service_id is not None:
        query = query.where(Ticket.service_id == service_id)
    return int(db.session.scalar(query) or 0)


def index_from_sums(respondents: int, sums: list[int]) -> dict[str, Any]:
    """The element table and the total from the database's count and sums (exact fractions inside)."""
    unsur, total = [], Fraction(0)
    for u, s in zip(UNSUR, sums, strict=True):
        nrr = Fraction(s, respondents) if respondents else None
        weighted = nrr / 9 if nrr is not None else None
        element_ikm = nrr * 25 if nrr is not None else None
        total += weighted or 0
        unsur.append({
            "code": u.code, "name": u.name["id"],
            "nrr": _f(nrr), "nrr_weighted": _f(weighted), "ikm": _f(element_ikm), "grade": grade(element_ikm)[0],
        })
    ikm_value = total * 25 if respondents else None
    letter, label = grade(ikm_value)
    return {"unsur": unsur, "nrr_weighted_total": _f(total) if respondents else None, "ikm": _f(ikm_value),
            "grade": letter, "grade_label": label}


def ikm(first: date, last: date, agency_id: int | None = None, service_id: int | None = None) -> dict[str, Any]:
    """The contract's ``GET /api/stats/ikm`` body for local days first..last in a scope."""
    respondents, sums = answer_sums(first, last, agency_id=agency_id, service_id=service_id)
    pop = population(first, last, agency_id=agency_id, service_id=service_id)
    return {
        "from": first.isoformat(), "to": last.isoformat(), "respondents": respondents, "population": pop,
        "min_sample": min_sample(pop), **index_from_sums(respondents, sums),
    }


def _f(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def submitted_view(row: SurveyResponse) -> dict[str, Any]:
    return {"ok": True, "submitted_at": iso(row.submitted_at)}
