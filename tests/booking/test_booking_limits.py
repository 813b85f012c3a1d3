"""Booking abuse (issue 30): one address, one network or one phone range cannot empty a week; a stranger
naming a phone neither locks its owner out nor learns whether it has a booking (queue_app/booking/limits.py).
docs/security.md names each test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from queue_app.booking import limits
from queue_app.booking.models import Booking, BookingEvent
from queue_app.core import clock
from queue_app.core.extensions import db

from ..helpers import TEST_SITE, built_app, make_site

pytestmark = pytest.mark.both_databases

#: PERIZINAN as in the demo: 08:00-15:00, 30-minute slots of 4: 14 slots, 56 places a day, 280 a week
SITE = TEST_SITE.replace('[display]', '''[site.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-15:00"
sat = ""
sun = ""

[display]''', 1).replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 4
days_ahead = 7
''', 1)
TZ = ZoneInfo("Asia/Jakarta")
SUNDAY = date(2026, 12, 6)
WEEK = [SUNDAY + timedelta(days=i) for i in range(1, 6)]  # Monday..Friday, all inside days_ahead
SLOTS = [f"{h:02d}:{m:02d}" for h in range(8, 15) for m in (0, 30)]


@pytest.fixture
def app(tmp_path, db_url):
    clock.travel(datetime.combine(SUNDAY, datetime.min.time(), TZ).replace(hour=20) - clock.utcnow())
    try:
        with built_app(make_site(tmp_path, SITE), db_url) as app:
            # the shares of a day on; the attempts per ten minutes off, so what is counted here is the shares
            app.config.update(RATELIMIT_BOOKINGS=True, RATELIMIT_BOOKINGS_PER_ADDRESS=0, RATELIMIT_BOOKINGS_PER_PHONE=0)
            yield app
    finally:
        clock.reset()


def book(client, address: str, day: date, start: str, phone: str | None = None):  # noqa: ANN001, ANN201
    body = {"service": "PERIZINAN", "date": day.isoformat(), "start": start}
    if phone:
        body["phone"] = phone
    return client.post("/api/bookings", json=body, environ_base={"REMOTE_ADDR": address})


def refused(resp) -> bool:  # noqa: ANN001
    if resp.status_code != 429:
        return False
    assert resp.json["error"] == {"code": "rate_limited", "message": limits.MESSAGE}  # the one text, always
    return True


def fill_week(client, addresses, phones=None) -> int:  # noqa: ANN001
    """Try every place of the week from ``addresses`` in turn (with ``phones`` if given); :return: bookings made."""
    made = 0
    attempt = 0
    for day in WEEK:
        for start in SLOTS:
            for _ in range(4):
                address = addresses[attempt % len(addresses)]
                phone = phones[attempt % len(phones)] if phones else None
                attempt += 1
                resp = book(client, address, day, start, phone)
                assert resp.status_code in (201, 409, 429), resp.text  # 409: a full slot
                made += resp.status_code == 201
    return made


def test_the_shares_of_a_demo_day(app):
    # 56 places: an address 2 (2 %), a /24 or /64 6 (10 %), a phone range 3 (5 %)
    assert limits.shares(56) == {"address": 2, "network": 6, "range": 3}
    assert limits.shares(1000) == {"address": 20, "network": 100, "range": 50}


def test_one_address_cannot_empty_a_week(app):
    client = app.test_client()
    made = fill_week(client, ["203.0.113.7"])
    assert made == 2 * len(WEEK)  # 10 of 280 places (3.6 %), where it took all of them in ~2¼ hours before
    # everybody else still books
    assert book(client, "198.51.100.1", WEEK[0], "14:30").status_code == 201


def test_one_network_cannot_empty_a_week_and_the_next_network_is_not_held_up(app):
    client = app.test_client()
    made = fill_week(client, [f"203.0.113.{i}" for i in range(1, 255)])
    assert made == 6 * len(WEEK)  # 30 of 280 (10.7 %) for a whole /24
    assert book(client, "203.0.114.1", WEEK[0], "14:30").status_code == 201  # the next /24
    v6 = [f"2001:db8:1:2::{i:x}" for i in range(1, 50)]  # one /64, many addresses
    assert fill_week(client, v6) == 6 * len(WEEK)
    assert book(client, "2001:db8:1:3::1", WEEK[1], "14:30").status_code == 201  # the next /64


def test_one_phone_range_cannot_empty_a_week_whatever_the_addresses(app):
    client = app.test_client()
    # a scalper changing address for every request (airplane mode on a mobile network), numbers in one range
    addresses = [f"10.{i // 250}.{i % 250}.1" for i in range(1500)]
    phones = [f"08123456{i:04d}" for i in range(1500)]
    assert fill_week(client, addresses, phones) == 3 * len(WEEK)  # 15 of 280


def test_junk_requests_naming_a_phone_neither_lock_its_owner_out_nor_tell_the_stranger_anything(app):
    client = app.test_client()
    app.config["RATELIMIT_BOOKINGS_PER_PHONE"] = 5  # attempts naming a phone, per requesting address
    from queue_app.core.limits import limiter

    limiter.reset()
    owner_phone = "081298765432"
    try:
        stranger = "198.51.100.23"
        # the stranger books with the owner's number, then sends junk naming it
        assert book(client, stranger, WEEK[0], "08:00", owner_phone).status_code == 201
        answers = [book(client, stranger, WEEK[0], start, owner_phone) for start in SLOTS[1:8]]
        assert all(r.status_code == 429 for r in answers)
        # the owner, at home, is not locked out, for that day or another
        assert book(client, "192.0.2.44", WEEK[0], "09:00", owner_phone).status_code == 201
        assert book(client, "192.0.2.44", WEEK[1], "09:00", owner_phone).status_code == 201
        # and a stranger on another network cannot tell that the owner has a booking: it books like anyone
        assert book(client, "100.64.5.9", WEEK[1], "10:00", owner_phone).status_code == 201
        # the owner's second try from the same network is refused with the text of every limit: it names
        # neither the phone nor a booking
        again = book(client, "192.0.2.44", WEEK[0], "10:00", owner_phone)
        assert refused(again)
        assert owner_phone not in again.get_data(as_text=True) and "booking for" not in again.json["error"]["message"]
    finally:
        limiter.reset()


def test_every_refusal_looks_the_same(app):
    client = app.test_client()
    # the address's share
    for start in SLOTS[:2]:
        assert book(client, "203.0.113.1", WEEK[0], start).status_code == 201
    by_address = book(client, "203.0.113.1", WEEK[0], SLOTS[2])
    # the phone's own booking (same phone, same network)
    assert book(client, "203.0.113.99", WEEK[0], SLOTS[3], "081211110000").status_code == 201
    by_phone = book(client, "203.0.113.98", WEEK[0], SLOTS[4], "081211110000")
    assert refused(by_address) and refused(by_phone)
    assert by_address.get_data() == by_phone.get_data() and dict(by_address.headers) == dict(by_phone.headers)


def test_a_cancelled_booking_gives_its_share_back(app):
    client = app.test_client()
    first = book(client, "203.0.113.5", WEEK[2], "08:00")
    assert book(client, "203.0.113.5", WEEK[2], "08:30").status_code == 201
    assert refused(book(client, "203.0.113.5", WEEK[2], "09:00"))
    assert client.delete(f"/api/bookings/{first.json['token']}").status_code == 200
    assert book(client, "203.0.113.5", WEEK[2], "09:00").status_code == 201


def test_load_tests_lift_the_shares_but_never_one_booking_per_phone_and_network(app):
    app.config["RATELIMIT_BOOKINGS"] = False  # MPP_QUEUE_RATELIMIT_BOOKINGS=0
    client = app.test_client()
    assert fill_week(client, ["127.0.0.1"]) == len(WEEK) * len(SLOTS) * 4
    clock.travel(timedelta(days=7))
    day = WEEK[0] + timedelta(days=7)
    assert book(client, "127.0.0.1", day, "08:00", "081234560000").status_code == 201
    assert refused(book(client, "127.0.0.1", day, "08:30", "081234560000"))


def test_only_keyed_hashes_of_the_address_are_stored(app):
    client = app.test_client()
    assert book(client, "203.0.113.77", WEEK[0], "08:00").status_code == 201
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        assert booking.address_key and booking.network_key and booking.address_key != booking.network_key
        rows = [str(v) for v in db.session.execute(sa.select(Booking.__table__)).one()]
        rows += [str(v) for v in db.session.execute(sa.select(BookingEvent.__table__)).one()]
        assert not [v for v in rows if "203.0.113" in v]
        # keyed with the site's secret: the hash of the address alone does not give it back
        import hashlib

        assert hashlib.sha256(b"a:203.0.113.77").hexdigest()[:32] != booking.address_key
