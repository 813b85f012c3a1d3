"""Survey shapes (SKM, PermenPANRB 14/2017): the questionnaire, a visit's answers, the IKM report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from queue_app.api.declare import Answer, Shape


def _whole(value: object) -> object:
    # JSON has one number type: 4.0 is the integer 4 (JSON Schema agrees); "4" and true stay refused
    return int(value) if isinstance(value, float) and value.is_integer() else value


Score = Annotated[int, Field(ge=1, le=4), BeforeValidator(_whole)]
ShortText = Annotated[str, StringConstraints(max_length=64)]


class Answers(Shape):
    """The nine answers, 1 (worst) to 4 (best)."""

    U1: Score
    U2: Score
    U3: Score
    U4: Score
    U5: Score
    U6: Score
    U7: Score
    U8: Score
    U9: Score


class Respondent(Shape):
    """The optional respondent profile (no personal data)."""

    gender: Literal["L", "P"] | None = None
    age: Annotated[int, Field(ge=10, le=120), BeforeValidator(_whole)] | None = None
    education: ShortText | None = None
    occupation: ShortText | None = None


class SurveyAnswer(Shape):
    """One visit's answers."""

    answers: Answers
    respondent: Respondent | None = None
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class TabletAnswer(SurveyAnswer):
    """Answers given on a counter's tablet, for the visit its offer names."""

    offer: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class SurveySubmitted(Answer):
    """The answer was recorded."""

    ok: bool
    submitted_at: str | None = None


class SurveyState(Answer):
    """Whether this visit's survey can be answered: open, answered, closed or not_finished."""

    state: Literal["open", "answered", "closed", "not_finished"]
    days_open: int


class Option(Answer):
    value: int
    label: str


class Unsur(Answer):
    """One of the nine elements with its question and four answer labels, worst first."""

    code: str
    name: str
    question: str
    options: list[Option]


class Questionnaire(Answer):
    """The questionnaire, U1..U9 in order."""

    unsur: list[Unsur]


class UnsurIndex(Answer):
    """One element's figures: mean answer (NRR), NRR/9, NRR x 25 and its grade."""

    code: str
    name: str
    nrr: float | None
    nrr_weighted: float | None
    ikm: float | None
    grade: str | None


class IkmReport(Answer):
    """The IKM of a range and scope (the contract's body); no respondents gives null ikm and grade."""

    model_config = ConfigDict(populate_by_name=True)

    first: str = Field(alias="from")
    last: str = Field(alias="to")
    respondents: int
    population: int
    min_sample: int
    unsur: list[UnsurIndex]
    nrr_weighted_total: float | None
    ikm: float | None
    grade: str | None
    grade_label: str | None


class PublishedIkm(Answer):
    """This month's IKM of the whole site, as the hall display shows it."""

    month: str
    ikm: float | None
    #: the value as published: half-up to two decimals, the figure the grade was read from
    ikm_rounded: float | None
    grade: str | None
    grade_label: str | None
    respondents: int




# --- the follow-up (rencana tindak lanjut) and the published results ---------------------------------------

UnsurCode = Literal["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"]
Period = Annotated[str, StringConstraints(max_length=7, pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")]


class NewAction(Shape):
    """An action on one element of a month's survey; ``agency`` defaults to a scoped manager's own (an admin's
    action without one is the whole MPP's)."""

    period: Period
    unsur: UnsurCode
    agency: Annotated[str, StringConstraints(max_length=32)] | None = None
    action: Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
    owner: Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"\S")]
    due: Annotated[date, Field(strict=False, json_schema_extra={"maxLength": 10})]


class ActionChange(Shape):
    """Move an action on, with what shows it was done."""

    status: Literal["in_progress", "done"]
    evidence: Annotated[str, StringConstraints(max_length=2000)] | None = None


class IkmActionView(Answer):
    """A follow-up action as the staff see it."""

    id: int
    period: str
    unsur: str
    unsur_name: str
    agency: str | None
    action: str
    owner: str
    due: date
    status: Literal["planned", "in_progress", "done"]
    evidence: str
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None


class PublicAgencyIkm(Answer):
    agency: str
    agency_name: str
    ikm: float | None
    grade: str | None
    respondents: int


class PublicAction(Answer):
    """A follow-up action as published: what, on which element, its status and due date (never who)."""

    unsur: str
    unsur_name: str
    agency: str | None
    action: str
    status: Literal["planned", "in_progress", "done"]
    due: date


class PublicPeriod(Answer):
    """One month's published results (the IKM half-up to two decimals, as its grade is read)."""

    period: str
    ikm: float | None
    grade: str | None
    grade_label: str | None
    respondents: int
    by_agency: list[PublicAgencyIkm]
    actions: list[PublicAction]


class PublicIkm(Answer):
    """This month's results so far and the previous month's, newest first: never a comment, a name or a phone."""

    periods: list[PublicPeriod]
