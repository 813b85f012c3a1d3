"""Who may take how many of a service's booking places: one address, one network or one phone range must not
empty a week, and a stranger must neither lock a phone's owner out nor learn whether that phone has a booking.

A booking records where it came from as two keyed hashes (:func:`source_keys`): of the address (IPv4 /32, IPv6
/128) and of its network (IPv4 /24, IPv6 /64). Nothing else about the address is stored, and both go with the
name and phone after ``[privacy] retain_days``. Before a place is taken, the *active* bookings (booked or
checked in) of that service and day are counted, per:

- address: at most ``max(ADDRESS_MIN, ADDRESS_SHARE × the day's places)``;
- network: at most ``max(NETWORK_MIN, NETWORK_SHARE × places)`` (a /24 or /64 is often one office, one
  campus, one carrier's NAT: more room than one address, still a fraction of the day);
- phone range (the number without its last four digits, 10,000 numbers): at most ``max(RANGE_MIN,
  RANGE_SHARE × places)``, whatever the address (a scalper changing addresses still needs phone numbers);
- phone *and network*: one. The same number from another network is a new budget, so a stranger who booked
  with someone's number (numbers are not verified) does not lock the owner out, and cannot tell from the
  answer whether the owner has a booking: a stranger's answer depends on the stranger's network only.

Every refusal is the same 429 ``rate_limited`` with the same text, whichever count it was, so no answer
confirms someone else's booking. A cancelled booking frees its share with its place. On PostgreSQL an advisory
lock per (service, day) makes the count and the booking one step; SQLite writes one transaction at a time.
``MPP_QUEUE_RATELIMIT_BOOKINGS=0`` lifts the address, network and range shares (load tests come from one
address), never the one booking per phone and network. The attempts per address per ten minutes stay in the
shared limiter (:mod:`queue_app.core.limits`, counted by every process together).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from queue_app.core.errors import RateLimited
from queue_app.core.extensions import db
from queue_app.core.limits import keyed_hash
from queue_app.core.models import Service
from queue_app.core.siteconfig.calendar import BookingConf

from .models import HOLDING_STATES, Booking

#: the shares of a service-day's places (and the least each may hold, for small services)
ADDRESS_SHARE, ADDRESS_MIN = 0.02, 2
NETWORK_SHARE, NETWORK_MIN = 0.10, 4
RANGE_SHARE, RANGE_MIN = 0.05, 3
#: digits of a phone number that vary inside one range
RANGE_DIGITS = 4
#: the one text of every refusal, so none tells which count (a phone's own booking) it was
MESSAGE = ("This connection or phone number has reached its share of this service's bookings that day; "
           "choose another day, or come as a walk-in.")


@dataclass(frozen=True)
class Source:
    """Where a booking request comes from, as stored: keyed hashes, never the address itself."""

    address: str
    network: str


def source_keys(remote_addr: str | None) -> Source:
    """The keyed hashes of an address and of its network (/24 or /64); the key is the site's secret, so the
    database alone does not give the addresses back."""
    text = (remote_addr or "?").strip()
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return Source(keyed_hash(f"a:{text}"), keyed_hash(f"n:{text}"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return Source(keyed_hash(f"a:{ip}"), keyed_hash(f"n:{network}"))


def phone_range(phone: str) -> str:
    """The range a (normalised) number belongs to: all but its last :data:`RANGE_DIGITS` digits."""
    return phone[:-RANGE_DIGITS]


def day_places(times_count: int, conf: BookingConf, day_cap: int | None) -> int:
    """How many bookings a service-day can hold: its slots' places, or the walk-in share's cap if smaller."""
    places = times_count * conf.per_slot
    return min(places, day_cap) if day_cap is not None else places


def shares(places: int) -> dict[str, int]:
    """The most active bookings one address, one network and one phone range may hold in a day of ``places``."""
    return {"address": max(ADDRESS_MIN, math.ceil(places * ADDRESS_SHARE)),
            "network": max(NETWORK_MIN, math.ceil(places * NETWORK_SHARE)),
            "range": max(RANGE_MIN, math.ceil(places * RANGE_SHARE))}


def check_shares(service: Service, day: date, source: Source, phone: str | None, places: int,
                 *, exclude: int | None = None) -> None:
    """:raise RateLimited: (:data:`MESSAGE`) this request's address, network, phone range or phone-and-network
    already holds its share of the service-day's active bookings.

    :param exclude: the id of the request's own booking, already written in this transaction (not counted).

    The counts are one statement (one round trip): it runs while the request holds the locks of
    :func:`lock_keys`, which every other booking of the same network waits for.
    """
    limited = bool(current_app.config.get("RATELIMIT_BOOKINGS"))
    same_network = Booking.network_key == source.network
    in_range = Booking.phone.like(phone_range(phone) + "_" * RANGE_DIGITS) if phone else None
    counts = [sa.and_(Booking.phone == phone, same_network)] if phone else []
    if limited:  # an address lies in its network: the rows to count are the network's and the range's
        counts += [Booking.address_key == source.address, same_network] + ([in_range] if phone else [])
    if not counts:
        return
    where = [Booking.service_id == service.id, Booking.day == day, Booking.status.in_(HOLDING_STATES),
             sa.or_(same_network, in_range) if limited and phone else same_network]
    if exclude is not None:
        where.append(Booking.id != exclude)
    got = list(db.session.execute(
        sa.select(*(sa.func.count().filter(c) for c in counts)).select_from(Booking).where(*where)).one())
    if phone and got.pop(0):
        raise RateLimited(MESSAGE)
    if not limited:
        return
    limit = shares(places)
    if got[0] >= limit["address"] or got[1] >= limit["network"] or (phone and got[2] >= limit["range"]):
        raise RateLimited(MESSAGE)


def lock_keys(source: Source, phone: str | None) -> list[tuple[str, ...]]:
    """What to lock (per service and day) so the counts of :func:`check_shares` and the booking are one step:
    the network, then the phone range, always in that order (two requests never wait on each other in a
    circle). With the shares lifted only the phone-and-network count is made: its one pair is locked, and
    a booking without a phone counts nothing and locks nothing (its place is taken by a conditional UPDATE)."""
    if current_app.config.get("RATELIMIT_BOOKINGS"):
        return [("net", source.network)] + ([("range", phone_range(phone))] if phone else [])
    return [("phone", phone, source.network)] if phone else []
