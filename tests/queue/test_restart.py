"""A server killed with SIGKILL while kiosks issue tickets loses none of the tickets it answered 201."""

from __future__ import annotations

import threading

import pytest
import requests

from ..livesite import LiveServer


@pytest.mark.slow
def test_sigkill_keeps_every_issued_ticket_and_numbering_continues(tmp_path):
    server = LiveServer(tmp_path / "site").start()
    issued: list[dict] = []
    stop = threading.Event()

    headers = server.kiosk_headers("K1")

    def kiosk() -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                resp = session.post(server.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                                    headers=headers, timeout=2)
            except requests.RequestException:
                return  # the server is gone
            if resp.status_code == 201:
                issued.append(resp.json())

    threads = [threading.Thread(target=kiosk) for _ in range(4)]
    for t in threads:
        t.start()
    while len(issued) < 60:
        threading.Event().wait(0.01)
    server.kill()
    stop.set()
    for t in threads:
        t.join(5)
    answered = {t["token"]: t["number"] for t in issued}

    server.port = server.port  # same port, same config, same database file
    server.start()
    try:
        for token, number in answered.items():
            body = requests.get(f"{server.url}/api/tickets/{token}", timeout=5).json()
            assert body["number"] == number and body["status"] == "waiting"
        numbers = sorted(int(n.split("-")[1]) for n in answered.values())
        nxt = requests.post(server.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                            headers=headers, timeout=5).json()
        assert int(nxt["number"].split("-")[1]) > numbers[-1]
        # no gap among the answered numbers except tickets whose answer was lost in the kill
        assert len(set(numbers)) == len(numbers)
    finally:
        server.stop()
