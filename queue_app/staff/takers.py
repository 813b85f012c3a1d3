"""Who may take a ticket (contract, "Who may take a ticket"): a kiosk with its key, staff, or — only when
``[site] public_tickets = true`` — anyone, without priority, without printing, under a tight per-address limit.

A kiosk proves itself with its device key (:mod:`queue_app.staff.devices`): an API client in the header
``X-Kiosk-Key``, an enrolled browser in the HttpOnly cookie :data:`~queue_app.staff.devices.COOKIE`. The
cookie is ``SameSite=Strict`` and a request carrying it must not come from another origin, so a foreign
page cannot spend a kiosk's tickets (the kiosk is not a staff session: no CSRF token to send).

Priority is given by whoever may judge it (:func:`may_give_priority`): a kiosk (the visitor chooses it on the
screen, as the hall's signs invite), an admin, a clerk for the services of the counters they serve at, a
manager for their agency's services (a manager with no agency: every service). A staff member asking for
a priority ticket of a service outside that → 403 ``priority_not_allowed``.

A request without any credential is refused before its body is validated (:func:`refuse_anonymous`, from
a lenient look at its ``kiosk`` field), so an anonymous caller is told 401 whatever else is wrong with it;
a kiosk or staff member with a malformed body gets the usual 400/422 first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from queue_app.core.extensions import csrf
from queue_app.core.limits import hit
from queue_app.core.site import current_site
from queue_app.staff import devices
from queue_app.staff.errors import KioskRequired, KioskUnauthorized, PriorityNotAllowed

KIOSK_HEADER = "X-Kiosk-Key"
KIND = "kiosk"


@dataclass(frozen=True)
class Taker:
    """Who is taking a ticket: ``staff``, ``kiosk`` or ``public`` (anonymous, public mode), as the request
    claims it (:func:`claimed_taker`); :meth:`prove` checks the claim.

    A claim holds what the request said (the kiosk's key, the caller's address), so it can be proven outside
    the request's own context: in the write transaction that issues the ticket, which for a kiosk's press
    may be another request's (:mod:`queue_app.queue.presses`).
    """

    kind: str
    kiosk: str | None = None
    key: str | None = field(default=None, repr=False)  # the kiosk key presented; None: none (or another kiosk's)
    address: str = "?"
    priority: bool = False
    #: the service asked for (the priority rule for staff depends on it)
    service: str | None = None

    @property
    def joins(self) -> bool:
        """Whether its press may be issued together with others (queue_app.queue.presses): an ordinary
        ticket at a kiosk or in public mode. Staff requests and priority tickets are issued alone."""
        return self.kind != "staff" and not self.priority

    def prove(self) -> Taker:
        """Check the claim (the kiosk's key is read in the current transaction) and count its rate limit.

        :raise KioskUnauthorized: a kiosk is named without its key or with a wrong one.
        :raise KioskRequired: anonymous, and the site does not take public tickets.
        :raise PriorityNotAllowed: anonymous (public mode) asking for priority, or staff asking for it for a
            service they may not give it for.
        :raise RateLimited: the kiosk's or the address's budget for this minute is spent.
        """
        if self.kind == "staff":
            if self.priority and self.service is not None \
                    and not may_give_priority(current_user._get_current_object(), self.service):
                raise PriorityNotAllowed("You may not give priority for this service: clerks give it for the "
                                         "services of their counters, managers for their agency's.")
            return self
        if self.kind == "kiosk":
            if self.key is None or not devices.check_key(KIND, self.kiosk, self.key):
                raise KioskUnauthorized(f'This request names kiosk "{self.kiosk}" without its key '
                                        f"(send {KIOSK_HEADER}, or enrol this browser on /admin/kiosks).")
            hit("tickets-kiosk", current_app.config.get("RATELIMIT_TICKETS_PER_KIOSK", 0), self.kiosk,
                message="Too many tickets from this kiosk in a minute.")
            return self
        if not current_site().public_tickets:
            raise KioskRequired('Tickets are taken at a kiosk: send its key (X-Kiosk-Key) with "kiosk", '
                                "or sign in as staff.")
        if self.priority:
            raise PriorityNotAllowed("Priority tickets are issued at a kiosk or by staff.")
        hit("tickets-public", current_app.config.get("RATELIMIT_TICKETS_PUBLIC", 0), self.address,
            message="Too many tickets from this address in a minute.")
        return self


def _peek(name: str) -> Any:
    """A top-level field of the JSON body if it has one; anything else (not JSON, too deep) is None."""
    try:
        data = request.get_json(force=True, silent=True)
    except HTTPException:  # 413: too large to read is its own answer
        raise
    except Exception:  # noqa: BLE001  (RecursionError of a deeply nested body): the parser answers it later
        return None
    return data.get(name) if isinstance(data, dict) else None


def kiosk_credential(code: str | None = None) -> tuple[str, str] | None:
    """``(code, key)`` this request presents for a kiosk: the header (for ``code``), else the browser cookie."""
    key = request.headers.get(KIOSK_HEADER)
    if key is not None:
        return (code, key.strip()) if code else None
    found = devices.from_cookie(request.cookies.get(devices.COOKIE), KIND)
    if found is None or not same_origin():
        return None
    return found


def same_origin() -> bool:
    """A cookie-borne credential only counts on a request from this site's own pages."""
    origin = request.headers.get("Origin")
    if origin is None:  # same-origin GET/HEAD and old browsers send none; SameSite=Strict still holds
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    return urlsplit(origin).netloc == request.host


def refuse_anonymous() -> None:
    """Before the body is validated: a request with no credential at all is told 401 whatever else is
    wrong with it (or, on a public site, let through to :func:`ticket_taker`).

    :raise KioskUnauthorized: it names a kiosk (read leniently from the body).
    :raise KioskRequired: the site takes no public tickets.
    """
    if current_user.is_authenticated or KIOSK_HEADER in request.headers or request.cookies.get(devices.COOKIE):
        return
    if _peek("remote") is True:  # joining from afar needs no kiosk (queue_app.queue.remote_handlers)
        return
    kiosk = _peek("kiosk")
    if kiosk is not None:
        raise KioskUnauthorized(f'This request names kiosk "{kiosk}" without its key '
                                f"(send {KIOSK_HEADER}, or enrol this browser on /admin/kiosks).")
    if not current_site().public_tickets:
        raise KioskRequired('Tickets are taken at a kiosk: send its key (X-Kiosk-Key) with "kiosk", '
                            "or sign in as staff.")


def may_give_priority(user: Any, service_code: str) -> bool:  # noqa: ANN401
    """Whether staff member ``user`` may issue a priority ticket of ``service_code``: admins for any service,
    clerks for a service one of their counters serves, managers for their agency's services (every service
    for a manager without an agency, who sees the whole site). An unknown service is the verb's 404.

    The one rule of who gives priority; docs/security.md states it.
    """
    from queue_app.core.errors import ServiceNotFound
    from queue_app.core.lookups import get_service
    from queue_app.staff.models import Role

    if user.role is Role.admin:
        return True
    try:
        service = get_service(service_code)
    except ServiceNotFound:
        return True  # nothing to give: issuing answers 404
    if user.role is Role.manager:
        return user.agency_id is None or user.agency_id == service.agency_id
    return any(link.service_id == service.id for counter in user.counters if counter.active
               for link in counter.service_links)


def claimed_taker(kiosk: str | None, priority: bool, service: str | None = None) -> Taker:
    """Who this request says is taking a ticket (the body already validated); nothing is read from the
    database yet. A browser session signed in as staff must carry its CSRF token (checked here)."""
    if current_user.is_authenticated:
        if not g.get("auth_via_token"):
            csrf.protect()  # a browser session: a foreign page must not issue tickets in its name
        return Taker("staff", kiosk, priority=priority, service=service)
    if kiosk is not None:
        credential = kiosk_credential(kiosk)
        key = credential[1] if credential is not None and credential[0] == kiosk else None
        return Taker("kiosk", kiosk, key, priority=priority, service=service)
    return Taker("public", None, address=request.remote_addr or "?", priority=priority, service=service)


def ticket_taker(kiosk: str | None, priority: bool, service: str | None = None) -> Taker:
    """Decide who is asking for a ticket (the body already validated), or refuse: :meth:`Taker.prove`."""
    return claimed_taker(kiosk, priority, service).prove()
