"""A provider that fails (contract, "Notices by WhatsApp or SMS"): retried with growing waits, nothing lost when
the server is killed meanwhile, sent once when the provider is back; a 4xx is ``failed`` and never retried.

The waits are the real schedule (queue_app/notify/sender.py RETRY_WAITS) shrunk a hundredfold with
``MPP_QUEUE_NOTIFY_TIME_SCALE``, so the test takes seconds; the test waits for conditions, never for a time.
"""

from __future__ import annotations

import pytest
import requests

from queue_app.notify.sender import RETRY_WAITS

from ..notifysite import FakeGateway, messages, notify_server

pytestmark = pytest.mark.slow

SCALE = 0.01


@pytest.fixture
def gateway():
    gw = FakeGateway()
    yield gw
    gw.close()


def take(live, phone: str) -> dict:
    r = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1", "phone": phone},
                      headers=live.kiosk_headers("K1"), timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def test_down_then_killed_then_back_sends_once(tmp_path, gateway):
    server = notify_server(tmp_path / "site", gateway)
    server.env["MPP_QUEUE_NOTIFY_TIME_SCALE"] = str(SCALE)
    gateway.set_mode("fail")  # 503 to everything
    server.start()
    try:
        admin = server.token()
        ticket = take(server, "081255550001")
        to = "6281255550001"
        # the retries come with growing waits
        attempts = gateway.wait_for(lambda: (lambda a: a if len(a) >= 5 else None)(gateway.attempts_to(to)),
                                    timeout=30, what="five attempts")
        gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps[-1] > gaps[0] * 3, gaps
        for i, gap in enumerate(gaps[:4]):
            assert gap >= RETRY_WAITS[i] * SCALE * 0.9, (i, gaps)
        listed = messages(server, admin, ticket=ticket["number"])
        assert listed[0]["status"] == "queued" and listed[0]["attempts"] >= 5

        server.kill()  # a power cut while the message waits for its next attempt
        gateway.set_mode("ok")
        server.start()
        gateway.wait_for(lambda: gateway.messages(to=to), timeout=60, what="sent after the restart")
        listed = gateway.wait_for(
            lambda: (lambda ms: ms if ms[0]["status"] == "delivered" else None)(
                messages(server, admin, ticket=ticket["number"])), timeout=30, what="delivered")
        assert len(gateway.messages(to=to)) == 1  # once
        assert listed[0]["attempts"] == len(gateway.attempts_to(to))
        assert [m["kind"] for m in listed] == ["issued"]

        # a 4xx: failed at once, never tried again
        gateway.set_mode("reject")
        second = take(server, "081255550002")
        listed = gateway.wait_for(
            lambda: (lambda ms: ms if ms[0]["status"] == "failed" else None)(
                messages(server, admin, ticket=second["number"])), timeout=30, what="failed")
        assert listed[0]["attempts"] == 1
        # later messages still go (the provider said no to that one only); the rejected one is not retried
        gateway.set_mode("ok")
        third = take(server, "081255550003")
        gateway.wait_for(lambda: gateway.messages(to="6281255550003"), what="the next message")
        assert len(gateway.attempts_to("6281255550002")) == 1
        assert messages(server, admin, ticket=second["number"])[0]["attempts"] == 1
        assert third["number"] != second["number"]
    finally:
        server.stop()


def test_a_slow_provider_never_slows_the_queue(tmp_path, gateway):
    server = notify_server(tmp_path / "site", gateway, timeout=2)
    gateway.set_mode("slow", delay=1.5)
    server.start()
    try:
        admin = server.token()
        for i in range(5):
            take(server, f"08125555100{i}")
        for _ in range(5):
            r = requests.post(f"{server.url}/api/counters/L01/call-next", json={"finish_current": True},
                              headers=admin, timeout=5)
            assert r.status_code == 200
            assert r.elapsed.total_seconds() < 1.0, r.elapsed  # the provider takes 1.5 s per message
        gateway.wait_for(lambda: len(gateway.messages(template="antrean_dipanggil")) == 5, timeout=30,
                         what="the calls' messages")
    finally:
        server.stop()
