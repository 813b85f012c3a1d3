"""Metrics with several server processes (issue 30): two real ``mpp-queue serve`` processes of one site each
count their own tickets, calls and requests; a scrape of either reports the whole site (prometheus_client's
multiprocess mode in ``[server] metrics_dir``). A process that dies keeps its counts in the total; a restart
of the whole site starts from zero."""

from __future__ import annotations

import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from ..livesite import LiveServer, call_next, issue


def scrape(server: LiveServer) -> dict[tuple[str, tuple], float]:
    resp = requests.get(server.url + "/metrics", timeout=5)
    resp.raise_for_status()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(resp.text) for s in f.samples}


def issued(samples: dict, service: str = "PERIZINAN") -> float:
    return samples.get(("mppq_tickets_issued_total", (("service", service),)), 0.0)


def test_a_scrape_of_either_process_reports_the_whole_site(tmp_path):
    site = tmp_path / "site"
    a = LiveServer(site).start()
    b = LiveServer(site)  # the same config.toml, database and instance/metrics: a second process of the site
    b.kiosk_keys = a.kiosk_keys
    try:
        b.start()
        headers = a.token()
        for _ in range(2):
            issue(a)
        for _ in range(3):
            issue(b)
        call_next(a, headers)
        assert issued(scrape(a)) == issued(scrape(b)) == 5
        sa, sb = scrape(a), scrape(b)
        assert sa[("mppq_calls_total", (("counter", "L01"),))] == 1 == sb[("mppq_calls_total", (("counter", "L01"),))]
        # the waiting gauge comes from the database: the same whoever is asked
        assert sa[("mppq_waiting", (("service", "PERIZINAN"),))] == 4 == sb[("mppq_waiting", (("service", "PERIZINAN"),))]
        # requests answered by each process are in both scrapes
        key = ("mppq_http_request_duration_seconds_count",
               (("method", "POST"), ("route", "/api/tickets"), ("status", "201")))
        assert sa[key] == sb[key] == 5
        # sockets: each process's own, summed over the live processes (a scrape refreshes the scraped one)
        import socketio

        display = socketio.Client(reconnection=False)
        display.connect(b.url, namespaces=["/display"], transports=["websocket"], wait_timeout=10)
        try:
            assert scrape(b)[("mppq_sockets", (("namespace", "/display"),))] == 1
            assert scrape(a)[("mppq_sockets", (("namespace", "/display"),))] == 1
        finally:
            display.disconnect()
        # a process killed without its exit: its counts stay in the site's total, its sockets do not
        b.kill()
        assert issued(scrape(a)) == 5
        b = LiveServer(site)
        b.kiosk_keys = a.kiosk_keys
        b.start()
        issue(b)
        assert issued(scrape(a)) == issued(scrape(b)) == 6
        assert scrape(a).get(("mppq_sockets", (("namespace", "/display"),)), 0) == 0
        files = sorted(p.name for p in (site / "instance" / "metrics").glob("*.db"))
        assert any(name.startswith("counter_") for name in files) and len(files) >= 3
    finally:
        a.stop()
        b.stop()
    # the whole site restarted: new totals
    a = LiveServer(site)
    a.kiosk_keys = b.kiosk_keys
    try:
        a.start()
        deadline = time.monotonic() + 5
        while issued(scrape(a)) != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert issued(scrape(a)) == 0
        issue(a)
        assert issued(scrape(a)) == 1
    finally:
        a.stop()
