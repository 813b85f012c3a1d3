"""Notices by WhatsApp (contract, "Notices by WhatsApp or SMS"): a real server and the fake gateway
(fakegateway/). Every kind a ticket's life sends, the template's shape, the signed status webhooks, the verify
handshake, the messages' list with its masked numbers, a number given and withdrawn later."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import requests

from ..notifysite import APP_SECRET, VERIFY, FakeGateway, messages, notify_server

pytestmark = pytest.mark.slow

PHONE = "0812-3456-7822"
DIGITS = "6281234567822"


@pytest.fixture(scope="module")
def gateway():
    gw = FakeGateway()
    yield gw
    gw.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory, gateway):
    server = notify_server(tmp_path_factory.mktemp("notify") / "site", gateway, ahead_at=2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(live):
    return live.token()


def take(live, phone: str | None = None, service: str = "PERIZINAN", **body) -> dict:
    payload = {"service": service, "kiosk": "K1", **body}
    if phone is not None:
        payload["phone"] = phone
    r = requests.post(live.url + "/api/tickets", json=payload, headers=live.kiosk_headers("K1"), timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def act(live, headers, action: str, counter: str = "L01", **body) -> dict:
    r = requests.post(f"{live.url}/api/counters/{counter}/{action}", json=body, headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["ticket"]


def params(message: dict) -> list[str]:
    return message["params"]


def wait_counted(live, *series: tuple[str, str]) -> None:
    """Wait until ``/metrics`` counts messages of each ``(kind, status)`` (the sender, a background loop, counts
    them as it records them)."""
    wanted = [f'mppq_notify_messages_total{{kind="{kind}",status="{status}"}}' for kind, status in series]
    deadline = time.monotonic() + 20
    while True:
        missing = [w for w in wanted if w not in requests.get(live.url + "/metrics", timeout=5).text]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not missing, missing


def test_a_visit_with_a_phone_gets_each_kind_in_order(live, gateway, admin):
    gateway.gw.messages.clear()
    others = [take(live) for _ in range(2)]  # no phone: nothing goes to them
    mine = take(live, PHONE)  # two ahead: the "ahead" notice (ahead_at = 2) is not for an issue
    issued = gateway.wait_for(lambda: gateway.messages(to=DIGITS, template="antrean_diambil"), what="issued")
    assert params(issued[0])[0] == mine["number"] and params(issued[0])[1] == "Perizinan Berusaha"
    assert params(issued[0])[2] == mine["track_url"]
    assert issued[0]["language"] == "id"

    # a call moves the line: two ahead -> one ahead; ahead_at = 2 was reached by nobody... until a new line
    act(live, admin, "call-next", finish_current=True)  # others[0]
    act(live, admin, "call-next", finish_current=True)  # others[1]
    called = act(live, admin, "call-next", finish_current=True)
    assert called["number"] == mine["number"]
    got = gateway.wait_for(lambda: gateway.messages(to=DIGITS, template="antrean_dipanggil"), what="called")
    assert params(got[0]) == [mine["number"], "Loket 1"]
    act(live, admin, "recall")
    gateway.wait_for(lambda: len(gateway.messages(to=DIGITS, template="antrean_dipanggil")) == 2, what="recall")
    act(live, admin, "finish")
    done = gateway.wait_for(lambda: gateway.messages(to=DIGITS, template="antrean_selesai"), what="done")
    assert params(done[0]) == [mine["number"], mine["track_url"]]
    assert not gateway.messages(to=DIGITS, template="antrean_hampir")  # never exactly 2 ahead after a move
    assert all(m["to"] == DIGITS for m in gateway.gw.messages), [o["number"] for o in others]

    listed = gateway.wait_for(lambda: (lambda ms: ms if all(m["status"] in ("delivered", "read") for m in ms)
                                       else None)(messages(live, admin, ticket=mine["number"])),
                              what="delivered by the webhook")
    assert [m["kind"] for m in listed] == ["issued", "called", "called", "done"]
    assert {m["to"] for m in listed} == {"6281*******22"}
    assert all(m["attempts"] == 1 and m["sent_at"] and m["created_at"] for m in listed)
    wait_counted(live, ("issued", "queued"), ("issued", "sent"), ("called", "delivered"))


def test_ahead_goes_once_when_exactly_ahead_at_are_ahead_and_missed_on_no_show(live, gateway, admin):
    gateway.gw.messages.clear()
    phone, digits = "+62 857 1111 2233", "6285711112233"
    front = [take(live, service="NONIZIN") for _ in range(3)]
    mine = take(live, phone, service="NONIZIN")  # three ahead
    gateway.wait_for(lambda: gateway.messages(to=digits, template="antrean_diambil"), what="issued")
    act(live, admin, "call-next", counter="L02", finish_current=True)  # two ahead now: the notice
    ahead = gateway.wait_for(lambda: gateway.messages(to=digits, template="antrean_hampir"), what="ahead")
    assert params(ahead[0]) == [mine["number"], "2"]
    act(live, admin, "call-next", counter="L02", finish_current=True)  # one ahead: nothing more
    act(live, admin, "call-next", counter="L02", finish_current=True)
    act(live, admin, "call-next", counter="L02", finish_current=True)  # mine
    act(live, admin, "no-show", counter="L02")
    gateway.wait_for(lambda: gateway.messages(to=digits, template="antrean_terlewat"), what="missed")
    assert len(gateway.messages(to=digits, template="antrean_hampir")) == 1
    kinds = [m["kind"] for m in messages(live, admin, ticket=mine["number"])]
    assert kinds == ["issued", "ahead", "called", "missed"]
    assert len(front) == 3
    wait_counted(live, ("ahead", "sent"), ("missed", "sent"))


def test_come_now_when_a_ticket_joined_from_afar_is_inside_arrive_ahead(live, gateway, admin):
    gateway.gw.messages.clear()
    for _ in range(2):
        take(live)
    r = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "remote": True,
                                                       "phone": "0812 4444 5555"}, timeout=5)
    assert r.status_code == 201, r.text
    far = r.json()
    gateway.wait_for(lambda: gateway.messages(to="6281244445555", template="antrean_diambil"), what="issued")
    assert not gateway.messages(to="6281244445555", template="antrean_segera_datang")  # two ahead: not yet
    act(live, admin, "call-next", finish_current=True)  # one ahead < arrive_ahead = 2
    come = gateway.wait_for(lambda: gateway.messages(to="6281244445555", template="antrean_segera_datang"),
                            what="come_now")
    assert params(come[0]) == [far["number"]]
    act(live, admin, "call-next", finish_current=True)
    act(live, admin, "finish")
    kinds = [m["kind"] for m in messages(live, admin, ticket=far["number"])]
    assert kinds == ["issued", "come_now"]  # once, though the line moved again
    requests.delete(f"{live.url}/api/tickets/{far['token']}", timeout=5).raise_for_status()


def test_a_number_given_later_then_withdrawn(live, gateway, admin):
    gateway.gw.messages.clear()
    ticket = take(live, service="HALAL")
    bad = requests.put(f"{live.url}/api/tickets/{ticket['token']}/phone", json={"phone": "12345"}, timeout=5)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_phone")
    r = requests.put(f"{live.url}/api/tickets/{ticket['token']}/phone", json={"phone": "0813 9999 0001",
                                                                            "lang": "en"}, timeout=5)
    assert r.status_code == 200 and r.json() == {"phone": "6281*******01", "notices": True}
    act(live, admin, "call-next", counter="L03", finish_current=True)
    gateway.wait_for(lambda: gateway.messages(to="6281399990001", template="antrean_dipanggil"), what="called")
    r = requests.delete(f"{live.url}/api/tickets/{ticket['token']}/phone", timeout=5)
    assert r.status_code == 200 and r.json() == {"phone": None, "notices": False}
    act(live, admin, "finish", counter="L03")
    listed = messages(live, admin, ticket=ticket["number"])
    assert [m["kind"] for m in listed] == ["called"] and listed[0]["to"] is None  # erased from the messages too
    assert not gateway.messages(to="6281399990001", template="antrean_selesai")
    gone = requests.put(f"{live.url}/api/tickets/{ticket['token']}/phone", json={"phone": "081399990001"}, timeout=5)
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "ticket_finished")
    assert requests.delete(f"{live.url}/api/tickets/nope/phone", timeout=5).status_code == 404


def test_an_invalid_phone_at_the_kiosk_is_422_and_issues_nothing(live):
    r = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1", "phone": "0800"},
                      headers=live.kiosk_headers("K1"), timeout=5)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_phone")


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_status_webhooks_are_signed_and_move_a_message_forward_only(live, gateway, admin):
    gateway.gw.messages.clear()
    hook = gateway.gw.webhook
    gateway.gw.webhook = ""  # this test sends the statuses itself
    try:
        ticket = take(live, "081200001111")
        sent = gateway.wait_for(lambda: gateway.messages(to="6281200001111"), what="issued")
        wamid = sent[0]["id"]
        gateway.wait_for(lambda: messages(live, admin, ticket=ticket["number"])[0]["status"] == "sent", what="sent")

        def status(state: str) -> bytes:
            return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
                {"field": "messages", "value": {"statuses": [{"id": wamid, "status": state,
                                                              "timestamp": "1796000000"}]}}]}]}).encode()

        url = live.url + "/api/notify/whatsapp"
        body = status("read")
        assert requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=5).status_code == 401
        wrong = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, "not-the-secret")}
        assert requests.post(url, data=body, headers=wrong, timeout=5).status_code == 401
        tampered = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(status("failed"))}
        assert requests.post(url, data=body, headers=tampered, timeout=5).status_code == 401
        assert messages(live, admin, ticket=ticket["number"])[0]["status"] == "sent"
        ok = requests.post(url, data=body, headers={"Content-Type": "application/json",
                                                    "X-Hub-Signature-256": sign(body)}, timeout=5)
        assert ok.status_code == 200 and ok.json()["ok"] is True
        gateway.wait_for(lambda: messages(live, admin, ticket=ticket["number"])[0]["status"] == "read", what="read")
        late = status("delivered")  # arrives after "read": ignored
        requests.post(url, data=late, headers={"Content-Type": "application/json",
                                               "X-Hub-Signature-256": sign(late)}, timeout=5).raise_for_status()
        again = status("read")  # the sender's round after the late one has run once this is written
        requests.post(url, data=again, headers={"Content-Type": "application/json",
                                                "X-Hub-Signature-256": sign(again)}, timeout=5).raise_for_status()
        listed = messages(live, admin, ticket=ticket["number"])
        assert listed[0]["status"] == "read"
    finally:
        gateway.gw.webhook = hook


def test_the_verify_handshake(live):
    url = live.url + "/api/notify/whatsapp"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"},
                      timeout=5)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    for query in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "x"},
                  {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "x"}, {}):
        assert requests.get(url, params=query, timeout=5).status_code == 403


def test_the_messages_list_is_for_admins_and_asks_for_one_visit(live, admin):
    live.add_user("clerk1", "rahasia-123456", "clerk", ("L01",))
    clerk = live.token("clerk1", "rahasia-123456")
    url = live.url + "/api/notify/messages"
    assert requests.get(url, params={"ticket": "A-001"}, timeout=5).status_code == 401
    assert requests.get(url, params={"ticket": "A-001"}, headers=clerk, timeout=5).status_code == 403
    assert requests.get(url, headers=admin, timeout=5).status_code == 404  # no visit named
    assert requests.get(url, params={"ticket": "Z-999"}, headers=admin, timeout=5).status_code == 404
    assert requests.get(url, params={"booking": "NOSUCH"}, headers=admin, timeout=5).status_code == 404
    assert requests.get(url, params={"ticket": "A-001", "date": "kemarin"}, headers=admin, timeout=5).status_code == 422
    health = requests.get(live.url + "/api/notify/health", headers=admin, timeout=5)
    assert health.status_code == 200 and health.json()["provider"] == "whatsapp"

