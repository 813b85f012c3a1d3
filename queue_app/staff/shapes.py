"""Staff shapes: sign-in, the signed-in user, and the admin's users, services, running text and audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from queue_app.api.declare import MAX_PASSWORD, Answer, Code, Shape
from queue_app.api.shapes import Moment, RoleName

Password = Annotated[str, StringConstraints(min_length=8, max_length=MAX_PASSWORD)]
#: wider than a username may be (1-64 ASCII): the operation's own check names the rule for 65 to 100
Username = Annotated[str, StringConstraints(min_length=1, max_length=100)]
#: a staff user's counters (a site has a few dozen at most)
CounterList = Annotated[list[Code], Field(max_length=200)]


class Credentials(Shape):
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


class TokenIssued(Answer):
    """A bearer token for the ``Authorization`` header."""

    token: str
    role: RoleName
    expires_at: datetime
    counters: list[str]


class Revoked(Answer):
    """Done: e.g. the token (or the browser session) no longer works, or the password was changed."""

    ok: bool


class Me(Answer):
    """Who is signed in, and where they may act."""

    csrf_token: str | None = Field(description="send back in X-CSRFToken (browser sessions; null with a token)")
    username: str
    full_name: str
    role: RoleName
    counters: list[str]


class NewUser(Shape):
    username: Username
    role: RoleName
    password: Password
    counters: CounterList | None = None
    full_name: Annotated[str, StringConstraints(max_length=120)] | None = None
    agency: Code | None = Field(default=None, description="a manager's agency code: they see only its figures")


class NewPassword(Shape):
    password: Password


class CounterCodes(Shape):
    """The counters a user may act for (replaces the old list; null clears it)."""

    counters: CounterList | None


class CloseReason(Shape):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="shown to visitors on the kiosk")


class NewRunningText(Shape):
    """Null or absent clears the text."""

    text: Annotated[str, StringConstraints(max_length=500)] | None = None


class User(Answer):
    """A staff user."""

    username: str
    full_name: str
    role: RoleName
    active: bool
    agency: str | None
    counters: list[str]
    created_at: Moment


class AdminService(Answer):
    """A service with whether it is closed today and why."""

    code: str
    name: str
    agency: str
    prefix: str
    closed_today: bool
    closed_reason: str


class RunningText(Answer):
    """The text scrolling on the hall displays."""

    text: str


class AuditEntry(Answer):
    """A change an admin (or the system) made."""

    id: int
    at: Moment
    user: str | None
    action: str
    target: str
    details: dict[str, Any] | None
