"""``GET /metrics`` (issue 30, contract "Metrics"): only from ``[server] metrics_from``; the named series, counted
by listening to the ticket signals (a rollback counts nothing); gauges read from the database; route labels
that never hold a token; JSON logs. The several-process count: tests/ops/test_metrics_processes.py."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from queue_app.core.extensions import db, socketio
from queue_app.queue import operations

from ..helpers import built_app, kiosk_headers, make_site, take_ticket

pytestmark = pytest.mark.both_databases


def scrape(client, address: str = "127.0.0.1") -> dict[tuple[str, tuple], float]:  # noqa: ANN001
    """Every sample of GET /metrics as ``{(name, sorted labels): value}``."""
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_served_only_to_metrics_from(app, client, tmp_path, db_url):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert refused.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 403
    site = make_site(tmp_path / "other")
    site = site.model_copy(update={"metrics_from": ("10.0.0.0/8",)})
    with built_app(site, tmp_path / "other.db") as other:
        c = other.test_client()
        assert c.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
        assert c.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_metrics_from_is_validated(tmp_path):
    from queue_app.core.siteconfig import ConfigError

    from ..helpers import TEST_SITE

    with pytest.raises(ConfigError, match="server.metrics_from"):
        make_site(tmp_path, TEST_SITE + '\n[server]\nmetrics_from = ["localhost"]\n')
    with pytest.raises(ConfigError, match="server.log_format"):
        make_site(tmp_path, TEST_SITE + '\n[server]\nlog_format = "xml"\n')


def test_tickets_calls_waits_and_queues_are_counted(app, client, clerk):
    before = scrape(client)
    for _ in range(3):
        assert take_ticket(client, "PERIZINAN").status_code == 201
    assert take_ticket(client, "HALAL").status_code == 201
    assert client.post("/api/counters/L01/call-next", headers=clerk).status_code == 200
    assert client.post("/api/counters/L01/recall", headers=clerk).status_code == 200
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mppq_tickets_issued_total", service="PERIZINAN") == 3
    assert delta("mppq_tickets_issued_total", service="HALAL") == 1
    assert delta("mppq_calls_total", counter="L01") == 2  # the call and its recall
    assert delta("mppq_wait_seconds_count", service="PERIZINAN") == 1  # one first call: one wait
    assert delta("mppq_wait_seconds_bucket", service="PERIZINAN", le="60.0") == 1
    assert value(after, "mppq_waiting", service="PERIZINAN") == 2
    assert value(after, "mppq_waiting", service="HALAL") == 1
    assert value(after, "mppq_waiting", service="NONIZIN") == 0
    assert value(after, "mppq_target_wait_seconds", service="PERIZINAN") == 15 * 60
    assert 0 <= value(after, "mppq_oldest_wait_seconds", service="PERIZINAN") < 60


def test_a_rolled_back_issue_or_call_is_not_counted(app, client):
    before = value(scrape(client), "mppq_tickets_issued_total", service="NONIZIN")
    with app.app_context():
        operations.issue_ticket("NONIZIN")
        db.session.rollback()
    assert value(scrape(client), "mppq_tickets_issued_total", service="NONIZIN") == before
    with app.app_context():
        operations.issue_ticket("NONIZIN")
        db.session.commit()
    assert value(scrape(client), "mppq_tickets_issued_total", service="NONIZIN") == before + 1


def test_print_jobs_notices_and_sockets(app, client):
    from queue_app.metrics import count_notify_message

    before = scrape(client)
    # kiosk K2 prints on p1 (a dummy printer): a job made (queued) and printed
    resp = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K2"}, headers=kiosk_headers(app, "K2"))
    assert resp.status_code == 201 and resp.json["print"]["status"] == "printed"
    count_notify_message("called", "sent")  # what queue_app.notify calls
    count_notify_message("called", "failed")
    display = socketio.test_client(app, namespace="/display")
    try:
        after = scrape(client)
    finally:
        display.disconnect("/display")
    assert value(after, "mppq_print_jobs_total", status="queued") - value(before, "mppq_print_jobs_total",
                                                                          status="queued") == 1
    assert value(after, "mppq_print_jobs_total", status="printed") - value(before, "mppq_print_jobs_total",
                                                                           status="printed") == 1
    assert value(after, "mppq_notify_messages_total", kind="called", status="failed") \
        - value(before, "mppq_notify_messages_total", kind="called", status="failed") == 1
    assert value(after, "mppq_sockets", namespace="/display") >= 1
    assert value(after, "mppq_printer_up", printer="p1") == 1
    assert value(after, "mppq_printer_state", printer="p1", state="ok") == 1
    assert value(scrape(client), "mppq_sockets", namespace="/display") == value(after, "mppq_sockets",
                                                                                   namespace="/display") - 1


def test_a_printer_offline_shows_as_down(app, client):
    from queue_app.printing.models import PrinterStatus

    with app.app_context():
        from queue_app.core import clock
        from queue_app.core.database import begin_write

        begin_write()
        row = db.session.get(PrinterStatus, "p1")
        if row is None:
            db.session.add(PrinterStatus(code="p1", state="offline", message="", checked_at=clock.utcnow()))
        else:
            row.state = "offline"
        db.session.commit()
    samples = scrape(client)
    assert value(samples, "mppq_printer_up", printer="p1") == 0
    assert value(samples, "mppq_printer_state", printer="p1", state="offline") == 1


def test_http_requests_are_timed_by_route_never_by_path(app, client):
    token = take_ticket(client).json["token"]
    assert client.get(f"/api/tickets/{token}").status_code == 200
    assert client.get("/api/tickets/no-such-token").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    text = resp.get_data(as_text=True)
    assert token not in text and "no-such-token" not in text and "/no/such/page" not in text
    samples = scrape(client)
    assert value(samples, "mppq_http_request_duration_seconds_count", route="/api/tickets/<token>", method="GET",
                 status="200") >= 1
    assert value(samples, "mppq_http_request_duration_seconds_count", route="/api/tickets/<token>", method="GET",
                 status="404") >= 1
    assert value(samples, "mppq_http_request_duration_seconds_count", route="<unmatched>", method="GET",
                 status="404") >= 1
    assert value(samples, "mppq_http_request_duration_seconds_count", route="/api/tickets", method="POST",
                 status="201") >= 1


def test_json_logs_are_one_object_a_line(tmp_path, db_url):
    from queue_app.metrics.logs import JsonFormatter

    record = logging.LogRecord("queue_app.queue", logging.WARNING, __file__, 1, "ticket %s at /t/%s", ("A-001", "s3cr3t"),
                               None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "queue_app.queue"
    assert line["message"] == "ticket A-001 at /t/<token>" and line["time"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record))["exception"]

    root = logging.getLogger()
    saved = [(h, h.formatter) for h in root.handlers]
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        site = make_site(tmp_path).model_copy(update={"log_format": "json"})
        with built_app(site, tmp_path / "json.db"):
            assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.removeHandler(handler)
        for h, f in saved:
            h.setFormatter(f)


def test_the_contract_series_are_all_there(app, client):
    take_ticket(client)
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    for name, kind in (("mppq_tickets_issued_total", "counter"), ("mppq_waiting", "gauge"),
                       ("mppq_wait_seconds", "histogram"), ("mppq_calls_total", "counter"),
                       ("mppq_print_jobs_total", "counter"), ("mppq_notify_messages_total", "counter"),
                       ("mppq_sockets", "gauge"), ("mppq_http_request_duration_seconds", "histogram")):
        assert f"# TYPE {name} {kind}" in text, name


def test_the_grafana_dashboard_and_the_alert_rules_use_real_series():
    from ..helpers import ROOT

    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = (ROOT / "docs" / "prometheus-alerts.yml").read_text()
    import yaml

    parsed = yaml.safe_load(rules)
    assert {r["alert"] for g in parsed["groups"] for r in g["rules"]} >= {"PrinterOffline", "QueueOverTarget",
                                                                          "NoticesFailing", "ProcessDown"}
    known = ("mppq_tickets_issued_total", "mppq_waiting", "mppq_wait_seconds_bucket", "mppq_calls_total",
             "mppq_print_jobs_total", "mppq_notify_messages_total", "mppq_sockets",
             "mppq_http_request_duration_seconds_bucket", "mppq_http_request_duration_seconds_count",
             "mppq_oldest_wait_seconds", "mppq_target_wait_seconds",
             "mppq_printer_up", "up")
    import re

    used = set(re.findall(r"\b(mppq_[a-z_]+|up)\b", " ".join(exprs) + rules))
    assert used <= set(known), used - set(known)
    for alert in ("PrinterOffline", "QueueOverTarget", "NoticesFailing", "ProcessDown"):
        assert f"alert: {alert}" in rules


def test_sqlalchemy_sessions_outside_requests_do_not_leak_counts(app):
    """The counts noted on a session are dropped with its rollback, also on a session that never commits."""
    from queue_app.metrics.series import _KEY

    with app.app_context():
        operations.issue_ticket("PERIZINAN")
        assert db.session.info.get(_KEY)
        db.session.rollback()
        assert not db.session.info.get(_KEY)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("tickets"))) == 0
