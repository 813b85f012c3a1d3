"""Staff's notice to everyone waiting for a service: ``POST /api/services/<code>/notice`` (contract "Notices by
WhatsApp or SMS"): who may send it, what it checks, and where it goes (phone pages, displays, the audit log,
the phones given)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db, socketio
from queue_app.staff.models import AuditEntry

from ..helpers import error_of, issued

URL = "/api/services/{}/notice"
TEXT = "Loket 3 sedang gangguan jaringan, mohon bersabar."


def send(client, headers, service="PERIZINAN", text=TEXT, **kw):
    return client.post(URL.format(service), json={"text": text}, headers=headers, **kw)


@pytest.fixture
def dpmptsp_manager(staff):
    return staff.headers("ptsp-boss", "manager", agency="DPMPTSP")


@pytest.fixture
def halal_manager(staff):
    return staff.headers("halal-boss", "manager", agency="DINKOPUKM")


def test_an_admin_sends_a_notice_and_it_is_audited(app, client, admin):
    issued(client)
    issued(client)
    resp = send(client, admin)
    assert resp.status_code == 202, resp.get_data(True)
    body = resp.get_json()
    assert body["waiting"] == 2 and isinstance(body["recipients"], int)
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "service_notice"))
        assert entry.target == "PERIZINAN" and entry.details["text"] == TEXT
        assert entry.details["recipients"] == body["recipients"]


def test_a_manager_of_the_services_agency_may_send_another_agencys_may_not(client, dpmptsp_manager, halal_manager):
    assert send(client, dpmptsp_manager).status_code == 202
    assert send(client, halal_manager, "HALAL").status_code == 202
    err = error_of(send(client, halal_manager, "PERIZINAN"), 403)
    assert "DPMPTSP" in err["message"]


def test_an_unscoped_manager_may_send_for_any_service(client, manager):
    assert send(client, manager, "HALAL").status_code == 202


def test_clerks_and_strangers_may_not(client, clerk):
    error_of(send(client, clerk), 403)
    error_of(send(client, {}), 401)


@pytest.mark.parametrize(("text", "status"), [("", 422), ("   \n  ", 422), ("x" * 301, 422), (7, 422), (None, 422)])
def test_a_blank_long_or_ill_typed_text_is_refused(client, admin, text, status):
    err = error_of(send(client, admin, text=text), status)
    assert err["code"] == "validation_failed"


def test_a_missing_body_or_unknown_service_is_4xx(client, admin):
    error_of(client.post(URL.format("PERIZINAN"), data="nope", headers=admin), 415)
    error_of(client.post(URL.format("PERIZINAN"), data="nope", headers={**admin, "Content-Type": "application/json"}), 400)
    error_of(send(client, admin, "NOPE"), 404)


def test_300_characters_pass_and_the_text_is_trimmed(app, client, admin):
    assert send(client, admin, text="x" * 300).status_code == 202
    assert send(client, admin, text="  Antrean   ditunda.\n\n\n Mohon  maaf. ").status_code == 202
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "service_notice")
                                  .order_by(AuditEntry.id.desc()))
        assert entry.details["text"] == "Antrean ditunda.\nMohon maaf."


def test_the_notice_reaches_the_waiting_phones_and_the_services_displays(app, client, admin):
    ticket = issued(client)
    other = issued(client, "HALAL")
    phone = socketio.test_client(app, namespace="/ticket", auth={"token": ticket["token"], "moves": True})
    halal_phone = socketio.test_client(app, namespace="/ticket", auth={"token": other["token"], "moves": True})
    floor1 = socketio.test_client(app, namespace="/display", auth={"zone": "lantai-1"})
    floor2 = socketio.test_client(app, namespace="/display", auth={"zone": "lantai-2"})
    try:
        for c in (phone, halal_phone):
            c.get_received("/ticket")
        for c in (floor1, floor2):
            c.get_received("/display")
        assert send(client, admin).status_code == 202
        got = [e["args"][0] for e in phone.get_received("/ticket") if e["name"] == "service_notice"]
        assert len(got) == 1 and got[0]["text"] == TEXT and got[0]["service"] == "PERIZINAN"
        assert got[0]["until"] > got[0]["at"]
        assert not [e for e in halal_phone.get_received("/ticket") if e["name"] == "service_notice"]
        shown = [e["args"][0] for e in floor1.get_received("/display") if e["name"] == "service_notice"]
        assert [s["service_name"] for s in shown] == ["Perizinan Berusaha"]
        # PERIZINAN is served on lantai-1 only: the second floor's displays are not told
        assert not [e for e in floor2.get_received("/display") if e["name"] == "service_notice"]
    finally:
        for c, ns in ((phone, "/ticket"), (halal_phone, "/ticket"), (floor1, "/display"), (floor2, "/display")):
            c.disconnect(ns)


def test_a_page_or_display_that_connects_later_gets_the_notice_still_current(app, client, admin):
    """A phone offline when the notice went out (or opening its ticket page later that day) and a display
    (re)connecting while it still shows get it on connect; a ticket no longer waiting, another line's, a
    display of another floor, and anyone once the display's time or the day is over, do not."""
    from datetime import timedelta

    from queue_app.core import clock

    ticket = issued(client)
    other = issued(client, "HALAL")
    assert send(client, admin).status_code == 202

    def notices(namespace, auth):
        c = socketio.test_client(app, namespace=namespace, auth=auth)
        try:
            return [e["args"][0] for e in c.get_received(namespace) if e["name"] == "service_notice"]
        finally:
            c.disconnect(namespace)

    got = notices("/ticket", {"token": ticket["token"], "moves": True})
    assert [(n["service"], n["text"]) for n in got] == [("PERIZINAN", TEXT)]
    assert notices("/ticket", {"token": ticket["token"]})[0]["text"] == TEXT  # the contract's plain client too
    assert notices("/ticket", {"token": other["token"], "moves": True}) == []
    assert [n["text"] for n in notices("/display", {"zone": "lantai-1"})] == [TEXT]
    assert notices("/display", {"zone": "lantai-2"}) == []
    # a later notice replaces it
    assert send(client, admin, text="Loket 3 kembali normal.").status_code == 202
    assert [n["text"] for n in notices("/ticket", {"token": ticket["token"], "moves": True})] == [
        "Loket 3 kembali normal."]
    # the displays show it for its minutes; the phones for the rest of the day
    clock.travel(timedelta(minutes=11))
    assert notices("/display", {"zone": "lantai-1"}) == []
    assert len(notices("/ticket", {"token": ticket["token"], "moves": True})) == 1
    clock.travel(timedelta(days=1))
    assert notices("/ticket", {"token": ticket["token"], "moves": True}) == []


def test_a_called_ticket_is_not_sent_its_lines_notice_on_connect(app, client, admin, clerk):
    ticket = issued(client)
    assert send(client, admin).status_code == 202
    assert client.post("/api/counters/L01/call-next", json={}, headers=clerk).status_code == 200
    c = socketio.test_client(app, namespace="/ticket", auth={"token": ticket["token"], "moves": True})
    try:
        received = c.get_received("/ticket")
        assert [e["args"][0]["status"] for e in received if e["name"] == "ticket"] == ["called"]
        assert not [e for e in received if e["name"] == "service_notice"]
    finally:
        c.disconnect("/ticket")


def test_a_refused_notice_reaches_nobody(app, client, halal_manager):
    ticket = issued(client)
    phone = socketio.test_client(app, namespace="/ticket", auth={"token": ticket["token"], "moves": True})
    try:
        phone.get_received("/ticket")
        error_of(send(client, halal_manager), 403)
        assert not [e for e in phone.get_received("/ticket") if e["name"] == "service_notice"]
    finally:
        phone.disconnect("/ticket")


NOTIFY = '''
[notify]
provider = "http"

[notify.http]
url = "http://127.0.0.1:9/send"
form = { target = "{phone}", message = "{text}" }
'''


@pytest.fixture
def notify_app(tmp_path):
    from ..helpers import TEST_SITE, built_app, make_site

    text = TEST_SITE.replace("[[agencies]]", NOTIFY + "\n[[agencies]]", 1)
    with built_app(make_site(tmp_path, text), tmp_path / "notify.db") as app:
        yield app


def test_the_recipients_are_the_waiting_tickets_that_gave_a_phone(notify_app):
    import queue_app.notify.models as notify_models
    from tests.helpers import Staff

    client = notify_app.test_client()
    admin = Staff(notify_app).headers("admin1", "admin")
    issued(client, phone="0812-3456-7890")
    issued(client, phone="+62 813 1111 2222")
    issued(client)  # no phone
    issued(client, "HALAL", phone="081299998888")  # another line
    issued(client, phone="081377776666")
    resp = send(client, admin)
    assert resp.status_code == 202, resp.get_data(True)
    assert resp.get_json() == {"recipients": 3, "waiting": 4}
    with notify_app.app_context():
        rows = db.session.scalars(sa.select(notify_models.Message).where(
            notify_models.Message.kind == notify_models.MessageKind.notice)).all()
        assert sorted(r.to for r in rows) == ["6281234567890", "6281311112222", "6281377776666"]
        assert {tuple(r.params) for r in rows} == {(TEXT,)}
