"""Shapes of the complaints' endpoints: a new complaint, the visitor's view, the inbox, an answer, the figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from queue_app.api.declare import Answer, Shape

#: a typed text that is not only blanks
Said = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"\S")]
#: the forms a phone number may take (08…, +62…, 62…; spaces and dashes anywhere)
PHONE_PATTERN = r"^[ -]*(\+[ -]*6[ -]*2|6[ -]*2|0)[ -]*[1-9]([ -]*[0-9]){6,12}[ -]*$"
EMAIL_PATTERN = r"^[^@ ]+@[^@ ]+\.[^@ ]+$"  # no \s: its meaning differs between regex engines
Status = Literal["received", "in_progress", "resolved"]


class NewComplaint(Shape):
    """A complaint: its text, and optionally the service it is about, the visitor's ticket (its token), and how
    to reach the person (personal data, kept only as long as the site's privacy rules allow)."""

    text: Said
    service: Annotated[str, StringConstraints(max_length=32)] | None = None
    #: the token of the visitor's ticket (the phone page sends it): the complaint is linked to that visit
    ticket: Annotated[str, StringConstraints(max_length=64)] | None = None
    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32, pattern=PHONE_PATTERN)] | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)] | None = None


class ComplaintCreated(Answer):
    """The complaint was received: its reference (read it out on the phone), the link to follow it, and the last
    day of its answer's deadline."""

    reference: str
    token: str
    status: Status
    received_at: datetime
    respond_by: date
    #: the visitor's page for this complaint (absolute)
    track_url: str


class PublicResponse(Answer):
    at: datetime
    text: str


class ComplaintPublic(Answer):
    """A complaint as its link shows it: never the name, phone or email given, nor who answered."""

    reference: str
    token: str
    status: Status
    received_at: datetime
    respond_by: date
    service: str | None
    service_name: str | None
    agency: str | None
    agency_name: str | None
    text: str
    lapor: str | None
    responses: list[PublicResponse]


class ComplaintItem(Answer):
    """A line of the inbox (``overdue``: not resolved and past its deadline today)."""

    reference: str
    service: str | None
    agency: str | None
    status: Status
    received_at: datetime
    respond_by: date
    overdue: bool
    text: str
    lapor: str | None


class StaffResponse(Answer):
    at: datetime
    text: str
    status: Status
    lapor: str | None
    #: the username of who answered (None for the command line)
    by: str | None


class ComplaintDetail(ComplaintItem):
    """A complaint for the staff who handle it: the contact details given with it and every answer."""

    service_name: str | None
    agency_name: str | None
    #: the number of the ticket of the visit it is about
    ticket: str | None
    name: str | None
    phone: str | None
    email: str | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    responses: list[StaffResponse]


class NewResponse(Shape):
    """An answer; ``status`` moves the complaint (default: a received one is ``in_progress``), ``lapor`` records
    the complaint's SP4N-LAPOR! number when it was forwarded there."""

    text: Said
    status: Literal["in_progress", "resolved"] | None = None
    lapor: Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")] | None = None


class AgencyComplaints(Answer):
    agency: str | None
    received: int
    resolved: int
    overdue: int


class ComplaintFigures(Answer):
    """Complaints received in a range of local days: how many were resolved, in time, and are overdue now."""

    model_config = ConfigDict(populate_by_name=True)

    first: str = Field(alias="from")
    last: str = Field(alias="to")
    received: int
    resolved: int
    #: share of the resolved ones resolved by their deadline (null when none is resolved)
    resolved_on_time_pct: float | None
    overdue: int
    in_progress: int
    #: complaints with at least one answer, and the share answered first by the deadline
    answered: int
    answered_on_time_pct: float | None
    by_agency: list[AgencyComplaints]
