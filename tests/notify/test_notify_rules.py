"""The notices' rules inside the app, on both databases (the live tests drive the sender and the provider):
a booking's messages and its reminders (clock-driven), the staff notice to everyone waiting, the sender's
claim and its retry schedule, the http gateway's text in the visitor's language, a message rolled back with
its change, the privacy purge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.notify import notify_waiting, send_reminders
from queue_app.notify.models import Message
from queue_app.notify.providers import HttpGateway, Outcome, Outgoing
from queue_app.notify.sender import RETRY_WAITS, claim, record, retry_wait
from queue_app.queue import operations
from tests.booking.test_booking import BOOKING_SITE, MON, at, travel_to
from tests.helpers import built_app, kiosk_headers, make_site
from tests.notifysite import FakeGateway, notify_config

pytestmark = pytest.mark.both_databases


def site_text(gateway_port: int = 1, provider: str = "whatsapp") -> str:
    notify = notify_config(gateway_port, provider=provider)
    return BOOKING_SITE + notify[notify.index("\n[notify]"):]


@pytest.fixture
def app(tmp_path, db_url):
    with built_app(make_site(tmp_path, site_text()), db_url) as app:
        yield app
    clock.reset()


def rows(**where) -> list[Message]:
    stmt = sa.select(Message).order_by(Message.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(Message, k) == v)
    return list(db.session.scalars(stmt))


def test_a_booking_with_a_phone_gets_booked_then_two_reminders_once(app):
    client = app.test_client()
    travel_to(at(MON - timedelta(days=1), 10))  # Sunday morning, for Monday 09:00
    made = client.post("/api/bookings", json={"service": "PERIZINAN", "date": MON.isoformat(), "start": "09:00",
                                              "phone": "0812 7777 0001"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    with app.app_context():
        [booked] = rows(kind="booked")
        assert (booked.to, booked.params[0], booked.params[2:]) == ("6281277770001", body["code"],
                                                                     [MON.isoformat(), "09:00"])
        assert send_reminders() == 0  # not 16:00 yet
        db.session.commit()
    for moment, expected in ((at(MON - timedelta(days=1), 16, 1), 1), (at(MON - timedelta(days=1), 20), 1),
                             (at(MON, 8, 1), 2), (at(MON, 8, 30), 2)):
        travel_to(moment)
        with app.app_context():
            send_reminders()
            db.session.commit()
            assert len(rows(kind="reminder")) == expected, moment
    with app.app_context():
        assert all(m.params[0] == body["code"] for m in rows(kind="reminder"))
        listed = app.test_client().get(f"/api/notify/messages?booking={body['code']}")
        assert listed.status_code == 401


def test_a_booking_made_in_english_gets_its_notices_in_english(app):
    client = app.test_client()
    travel_to(at(MON - timedelta(days=1), 10))
    made = client.post("/api/bookings", json={"service": "PERIZINAN", "date": MON.isoformat(), "start": "10:00",
                                              "phone": "0812 7777 0002", "lang": "en"})
    assert made.status_code == 201, made.get_json()
    plain = client.post("/api/bookings", json={"service": "PERIZINAN", "date": MON.isoformat(), "start": "10:00",
                                               "phone": "0812 7777 0003"})
    assert plain.status_code == 201, plain.get_json()
    bad = client.post("/api/bookings", json={"service": "PERIZINAN", "date": MON.isoformat(), "start": "10:00",
                                             "phone": "0812 7777 0004", "lang": "fr"})
    assert bad.status_code == 422
    travel_to(at(MON - timedelta(days=1), 16, 1))
    with app.app_context():
        send_reminders()
        db.session.commit()
        langs = {(m.kind.value, m.to): m.lang for m in rows()}
    assert langs == {("booked", "6281277770002"): "en", ("reminder", "6281277770002"): "en",
                     ("booked", "6281277770003"): "id", ("reminder", "6281277770003"): "id"}


def test_notice_to_everyone_waiting_for_a_service_with_a_phone(app):
    travel_to(at(MON, 9))
    client = app.test_client()
    headers = kiosk_headers(app, "K1")
    for i in range(5):
        payload = {"service": "PERIZINAN", "kiosk": "K1"}
        if i % 2 == 0:
            payload["phone"] = f"08127777100{i}"
        assert client.post("/api/tickets", json=payload, headers=headers).status_code == 201
    with app.app_context():
        service = db.session.scalar(sa.select(Service).where(Service.code == "PERIZINAN"))
        assert notify_waiting(service, "  Sistem   sedang gangguan, mohon menunggu. ", None) == 3
        db.session.commit()
        notices = rows(kind="notice")
        assert [m.params for m in notices] == [["Sistem sedang gangguan, mohon menunggu."]] * 3
        assert {m.to for m in notices} == {"6281277771000", "6281277771002", "6281277771004"}
        assert notify_waiting(service, "   ", None) == 0


def test_a_rolled_back_change_writes_no_message(app):
    travel_to(at(MON, 9))
    with app.app_context():
        operations.issue_ticket("PERIZINAN", kiosk="K1", phone="6281277772222")
        db.session.rollback()
        assert rows() == []


def test_claim_takes_each_due_message_once_and_the_waits_grow(app):
    travel_to(at(MON, 9))
    with app.app_context():
        for i in range(3):
            operations.issue_ticket("PERIZINAN", kiosk="K1", phone=f"62812777730{i}")
        db.session.commit()
        first = claim(2)
        second = claim(10)
        assert len(first) == 2 and len(second) == 1 and claim(10) == []  # claimed: leased, not due
        assert {m.id for m in first}.isdisjoint({m.id for m in second})
        record(first[0], Outcome("sent", provider_id="wamid.1"))
        record(first[1], Outcome("failed", error="HTTP 400: bad template"))
        record(second[0], Outcome("retry", error="HTTP 503"))
        states = {m.id: (m.status.value, m.attempts) for m in rows()}
        assert states[first[0].id] == ("sent", 1) and states[first[1].id] == ("failed", 1)
        assert states[second[0].id] == ("queued", 1)
        clock.travel(timedelta(seconds=RETRY_WAITS[0] + 1))
        assert [m.id for m in claim(10)] == [second[0].id]  # due again after its wait
    waits = [retry_wait(n) for n in range(1, len(RETRY_WAITS) + 2)]
    assert waits[-1] is None and all(a < b for a, b in zip(waits[:8], waits[1:9], strict=False))
    assert sum(w for w in waits if w) >= 3600  # retried for more than an hour


def test_the_http_gateway_sends_the_catalogue_text_in_the_visitors_language(tmp_path, db_url):
    gateway = FakeGateway()
    text = site_text(gateway.port, provider="http").replace('[notify.whatsapp]', f'''[notify.http]
url = "http://127.0.0.1:{gateway.port}/send"
method = "POST"
headers = {{ Authorization = "file:secrets/gateway-token" }}
form = {{ target = "{{phone}}", message = "{{text}}" }}

[notify.whatsapp]''', 1)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "gateway-token").write_text("Bearer gw-123\n")
    try:
        with built_app(make_site(tmp_path, text), db_url) as app, app.app_context():
            provider = HttpGateway(app.extensions["site"].notify)
            out = provider.send(Outgoing(1, "called", "6281277774444", "en", ("A-007", "Loket 1")))
            assert out.result == "sent" and out.provider_id
            got = gateway.messages(to="6281277774444")[0]
            assert got["text"] == "Number A-007, please go to Loket 1." and got["authorization"] == "Bearer gw-123"
            provider.send(Outgoing(2, "called", "6281277774445", "id", ("A-008", "Loket 2")))
            assert gateway.messages(to="6281277774445")[0]["text"] == "Nomor antrean A-008, silakan menuju Loket 2."
            gateway.set_mode("fail")
            assert provider.send(Outgoing(3, "done", "6281277774446", "id", ("A-009", "x"))).result == "retry"
            gateway.set_mode("reject")
            assert provider.send(Outgoing(4, "done", "6281277774446", "id", ("A-009", "x"))).result == "failed"
    finally:
        gateway.close()
    assert date.today()  # the module's clock travels are undone by the app


def test_the_purge_erases_the_messages_numbers(app):
    from queue_app.privacy import operations as privacy

    travel_to(at(MON, 9))
    with app.app_context():
        operations.issue_ticket("PERIZINAN", kiosk="K1", phone="6281277775555")
        db.session.commit()
        assert rows()[0].to == "6281277775555"
    travel_to(at(MON + timedelta(days=31), 9))
    with app.app_context():
        privacy.purge()
        db.session.commit()
        assert rows()[0].to is None


def test_webhook_statuses_move_a_message_forward_only(app):
    from queue_app.notify.operations import apply_status_list

    travel_to(at(MON, 9))
    with app.app_context():
        operations.issue_ticket("PERIZINAN", kiosk="K1", phone="6281277776666")
        db.session.commit()
        [out] = claim(5)
        record(out, Outcome("sent", provider_id="wamid.abc"))
        assert apply_status_list([{"id": "wamid.abc", "status": "read", "timestamp": "1796000000"}]) == 1
        assert apply_status_list([{"id": "wamid.abc", "status": "delivered"}, {"id": "other", "status": "read"},
                                  {"status": "read"}, {"id": "wamid.abc", "status": "bogus"}]) == 0
        db.session.commit()
        [m] = rows()
        assert m.status.value == "read" and m.status_at is not None


@pytest.mark.parametrize(("change", "message"), [
    (lambda n: n.update(provider="sms"), 'notify.provider: must be "whatsapp", "http" or "" (notices off), not "sms"'),
    (lambda n: n["whatsapp"].update(phone_number_id=""), "notify.whatsapp.phone_number_id: missing"),
    (lambda n: n["whatsapp"]["templates"].pop("done"), "notify.whatsapp.templates: no template for done"),
    (lambda n: n["whatsapp"]["templates"].update(welcome="x"), 'notify.whatsapp.templates.welcome: unknown kind'),
    (lambda n: n.update(provider="http", http={"url": "gateway"}), 'notify.http.url: must be an absolute http(s) URL'),
    (lambda n: n.update(provider="http", http={"url": "https://g.example/send"}),
     "notify.http: give either form = { ... } or json = { ... }"),
    (lambda n: n.update(provider="http", http={"url": "https://g.example/send", "form": {"to": "{phone}"}}),
     "notify.http.form: no value holds {text}"),
    (lambda n: n.update(ahead_at=-1), "notify.ahead_at: must be at least 0"),
])
def test_a_wrong_notify_table_is_refused_naming_the_key(tmp_path, change, message):
    import tomllib

    from queue_app.core.siteconfig import ConfigError, parse_site_config

    raw = tomllib.loads(site_text())
    change(raw["notify"])
    with pytest.raises(ConfigError) as refused:
        parse_site_config(raw, base_dir=tmp_path)
    assert message in str(refused.value)


def test_the_export_and_erasure_of_a_number_cover_its_messages(app):
    from queue_app.privacy import operations as privacy

    travel_to(at(MON, 9))
    with app.app_context():
        operations.issue_ticket("PERIZINAN", kiosk="K1", phone="6281277778888")
        db.session.commit()
        exported = privacy.export("0812 7777 8888")
        assert [r["kind"] for r in exported["records"]["notify_message"]] == ["issued"]
        privacy.erase("+62 812-7777-8888")
        db.session.commit()
        assert rows()[0].to is None
