"""The JSON API: each endpoint's success, its bad inputs (always 4xx with the error body), and auth."""

from __future__ import annotations

import pytest

from tests.helpers import error_of, issued, kiosk_headers, on_duty, take_ticket

pytestmark = pytest.mark.both_databases  # every test that builds the app: SQLite and PostgreSQL




# --- public ----------------------------------------------------------------------------------


def test_services_list(client):
    issued(client)
    body = client.get("/api/services").get_json()
    assert [s["code"] for s in body] == ["PERIZINAN", "NONIZIN", "HALAL"]
    first = body[0]
    assert {"code", "name", "agency", "prefix", "waiting", "estimated_wait_seconds", "open"} <= set(first)
    assert first["agency"] == "DPMPTSP" and first["waiting"] == 1 and first["open"] is True
    assert [s["code"] for s in client.get("/api/services?kiosk=K2").get_json()] == ["PERIZINAN", "HALAL"]
    assert error_of(client.get("/api/services?kiosk=NOPE"), 404)["code"] == "kiosk_not_found"


def test_issue_ticket(client):
    body = issued(client, priority=False, kiosk="K1")
    assert body["number"] == "A-001" and body["status"] == "waiting" and body["ahead"] == 0
    assert body["track_url"] == f"http://mpp.test/t/{body['token']}"
    assert body["issued_at"].endswith("+07:00")
    assert body["print"] == {"status": "none", "error": None}
    assert issued(client)["ahead"] == 1


def test_issue_at_kiosk_with_printer_reports_print_status(client):
    body = issued(client, kiosk="K2")
    assert body["print"]["status"] in ("printed", "failed", "queued")


def test_idempotency_key_header(client):
    h = {"Idempotency-Key": "kiosk-K1-tap-42"}
    first = take_ticket(client, headers=h)
    again = take_ticket(client, headers=h)
    assert first.status_code == again.status_code == 201  # the contract's answer, repeat or not
    assert "repeated" not in first.get_json() and again.get_json()["repeated"] is True
    assert first.get_json()["token"] == again.get_json()["token"]
    # the same key for a different request is refused, never answered with someone else's ticket
    other = take_ticket(client, "NONIZIN", headers=h)
    assert error_of(other, 422)["code"] == "idempotency_conflict"
    assert issued(client)["number"] == "A-002"
    error_of(take_ticket(client, headers={"Idempotency-Key": "bad key!"}), 422)


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"data": "{not json", "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "[1, 2]", "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "", "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "service=A", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"json": {}}, 422, "validation_failed"),
    ({"json": {"service": 7}}, 422, "validation_failed"),
    ({"json": {"service": ""}}, 422, "validation_failed"),
    ({"json": {"service": "PERIZINAN", "priority": "yes"}}, 422, "validation_failed"),
    ({"json": {"service": "PERIZINAN", "priority": 1}}, 422, "validation_failed"),
    ({"json": {"service": "PERIZINAN", "kiosk": 5}}, 422, "validation_failed"),
    ({"json": {"service": "NOPE", "kiosk": "K1"}}, 404, "service_not_found"),
    ({"json": {"service": "NONIZIN", "kiosk": "K2"}}, 422, "validation_failed"),
])
def test_issue_bad_input(client, kwargs, status, code):
    """A kiosk (with its key) sending a bad body is told what is wrong with the body."""
    kiosk = kwargs.get("json", {}).get("kiosk")
    headers = kiosk_headers(client.application, kiosk if isinstance(kiosk, str) else "K1")
    assert error_of(client.post("/api/tickets", headers=headers, **kwargs), status)["code"] == code


def test_unknown_kiosk(client, admin):
    """Nobody holds the key of a kiosk that does not exist (401); staff are told it does not exist (404)."""
    body = {"service": "PERIZINAN", "kiosk": "K9"}
    assert error_of(client.post("/api/tickets", json=body, headers=kiosk_headers(client.application)),
                    401)["code"] == "kiosk_unauthorized"
    assert error_of(client.post("/api/tickets", json=body, headers=admin), 404)["code"] == "kiosk_not_found"


def test_lone_surrogate_in_json_is_400_not_500(client, staff):
    raw = '{"service": "\\ud83d"}'
    assert error_of(client.post("/api/tickets", data=raw, content_type="application/json",
                                headers=kiosk_headers(client.application)), 400)
    raw = '{"username": "\\ud83d", "password": "x"}'
    assert error_of(client.post("/api/auth/token", data=raw, content_type="application/json"), 400)


def test_expired_counter_key_can_be_used_again(client, clerk):
    from datetime import timedelta

    from queue_app.core import clock

    h = {**clerk, "Idempotency-Key": "kx"}
    assert client.post("/api/counters/L01/pause", headers=h).status_code == 200
    client.post("/api/counters/L01/resume", headers=clerk)
    clock.travel(timedelta(minutes=11))
    resp = client.post("/api/counters/L01/pause", headers=h)
    assert resp.status_code == 200 and "replayed" not in resp.get_json()


def test_body_over_64k_is_413(client):
    resp = client.post("/api/tickets", data=b'{"service": "' + b"A" * (1024 * 1024) + b'"}',
                       content_type="application/json")
    assert error_of(resp, 413)["code"] == "payload_too_large"


def test_quota_is_409(client):
    for _ in range(3):
        issued(client, "HALAL")
    assert error_of(take_ticket(client, "HALAL"), 409)["code"] == "quota_reached"


def test_ticket_view_and_unknown_token(client):
    t = issued(client)
    body = client.get(f"/api/tickets/{t['token']}").get_json()
    assert body["number"] == "A-001" and body["status"] == "waiting" and body["counter"] is None
    assert set(body) >= {"number", "service", "status", "ahead", "estimated_wait_seconds", "counter", "issued_at",
                         "called_at", "finished_at"}
    assert "token" not in body
    assert error_of(client.get("/api/tickets/nope"), 404)["code"] == "ticket_not_found"


def test_ticket_page_and_friendly_404(client):
    t = issued(client)
    page = client.get(f"/t/{t['token']}")
    assert page.status_code == 200 and "A-001" in page.get_data(as_text=True)
    missing = client.get("/t/does-not-exist")
    assert missing.status_code == 404 and "tidak ditemukan" in missing.get_data(as_text=True)


def test_display_snapshot(client, clerk):
    issued(client)
    client.post("/api/counters/L01/call-next", headers=clerk)
    board = client.get("/api/display?zone=lantai-1").get_json()
    assert board["latest"]["number"] == "A-001" and board["seq"] == {"lantai-1": 1}
    assert {c["code"]: c["current"] for c in board["counters"]} == {"L01": "A-001", "L02": None}
    assert error_of(client.get("/api/display?zone=atap"), 404)["code"] == "zone_not_found"
    assert client.get("/api/display").get_json()["zones"] == ["lantai-1", "lantai-2"]


def test_a_counter_verb_reads_and_locks_its_counter_once_per_transaction(app, client, clerk):
    """The API locks the counter before it looks up a repeated key, the verb then asks for it: one SELECT
    (FOR UPDATE on PostgreSQL), not two. The next request's transaction reads and locks it again."""
    import sqlalchemy as sa

    from queue_app.core.extensions import db

    issued(client)
    issued(client)
    reads = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        if statement.startswith("SELECT counters.") and "counters.code =" in statement:
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        for n in (1, 2):
            resp = client.post("/api/counters/L01/call-next", json={"finish_current": True}, headers=clerk)
            assert resp.status_code == 200 and resp.get_json()["ticket"]["number"] == f"A-00{n}"
            assert len(reads) == n
        if engine.dialect.name == "postgresql":
            assert all("FOR UPDATE" in r for r in reads)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


def test_a_bearer_token_and_its_user_are_read_in_one_statement(app, client, clerk):
    """Every request with a bearer token looks the token up: its user comes joined, not in a second trip."""
    import sqlalchemy as sa

    from queue_app.core.extensions import db

    seen = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/counters", headers=clerk).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    tokens = [s for s in seen if "FROM api_tokens" in s]
    assert len(tokens) == 1 and "JOIN users" in tokens[0]
    assert not [s for s in seen if s.startswith("SELECT users.")], seen


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body["database"] == "ok" and "p1" in body["printers"]
    assert body["status"] in ("ok", "degraded")


def test_unknown_api_url_is_json_404(client):
    assert error_of(client.get("/api/nothing-here"), 404)["code"] == "not_found"
    assert error_of(client.delete("/api/tickets"), 405)["code"] == "method_not_allowed"


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/services", "/api/tickets", "/api/tickets/{token}", "/api/counters/{code}/call-next",
                 "/api/stats/summary", "/api/auth/token", "/api/health", "/api/display"):
        assert path in spec["paths"]


# --- auth ------------------------------------------------------------------------------------


def test_token_login(client, staff):
    staff.user("siti", "clerk", ["L01"], password="kata-sandi-1")
    resp = client.post("/api/auth/token", json={"username": "siti", "password": "kata-sandi-1"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["role"] == "clerk" and body["expires_at"].endswith("+07:00")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert me["username"] == "siti" and me["counters"] == ["L01"]


def test_login_failure_is_the_same_for_unknown_user_and_wrong_password(client, staff):
    staff.user("siti", password="kata-sandi-1")
    wrong = client.post("/api/auth/token", json={"username": "siti", "password": "salah-salah"})
    unknown = client.post("/api/auth/token", json={"username": "tidakada", "password": "salah-salah"})
    assert error_of(wrong, 401) == error_of(unknown, 401)
    error_of(client.post("/api/auth/token", json={"username": "siti"}), 422)


def test_staff_endpoints_need_credentials(client):
    for method, url in [("get", "/api/counters"), ("post", "/api/counters/L01/call-next"),
                        ("get", "/api/stats/summary"), ("get", "/api/stats/export.csv"), ("get", "/api/me")]:
        assert error_of(getattr(client, method)(url), 401)["code"] == "unauthorized"
    bad = {"Authorization": "Bearer not-a-real-token"}
    error_of(client.get("/api/counters", headers=bad), 401)


def test_expired_token_is_refused(client, staff):
    from datetime import timedelta

    from queue_app.core import clock

    h = staff.headers("siti", "clerk", ["L01"])
    assert client.get("/api/counters", headers=h).status_code == 200
    clock.travel(timedelta(hours=13))
    error_of(client.get("/api/counters", headers=h), 401)


def test_roles_and_counter_scoping(client, clerk, manager, admin):
    issued(client)
    assert error_of(client.post("/api/counters/L03/call-next", headers=clerk), 403)["code"] == "forbidden"
    error_of(client.post("/api/counters/L01/call-next", headers=manager), 403)
    error_of(client.get("/api/stats/summary", headers=clerk), 403)
    assert client.get("/api/stats/summary", headers=manager).status_code == 200
    assert client.post("/api/counters/L03/call-next", headers=admin).status_code == 200
    error_of(client.post("/api/counters/L99/call-next", headers=admin), 404)


# --- counters --------------------------------------------------------------------------------


def test_counters_list(app, client, clerk):
    body = client.get("/api/counters", headers=clerk).get_json()
    assert [c["code"] for c in body] == ["L01", "L02", "L03"]
    # not paused, but no clerk's panel is connected: closed
    assert body[0] == {"code": "L01", "name": "Loket 1", "zone": "lantai-1", "services": ["PERIZINAN", "NONIZIN"],
                       "state": "open", "staffed": False, "presence": "closed", "current": None}
    on_duty(app, "L01", "L02")
    assert client.post("/api/counters/L02/pause", headers=clerk).status_code == 200
    body = client.get("/api/counters", headers=clerk).get_json()
    assert [(c["state"], c["staffed"], c["presence"]) for c in body] == [
        ("open", True, "staffed"), ("paused", True, "paused"), ("open", False, "closed")]


def test_counter_flow(client, clerk):
    a = issued(client)
    issued(client, "NONIZIN")
    post = lambda action, **kw: client.post(f"/api/counters/L01/{action}", headers=clerk, **kw)  # noqa: E731
    called = post("call-next").get_json()["ticket"]
    assert called["number"] == "A-001" and called["status"] == "called" and called["counter"]["code"] == "L01"
    assert set(called) >= {"number", "service", "status", "priority", "issued_at", "called_at", "started_at",
                           "finished_at", "counter", "recalls"}
    assert error_of(post("call-next"), 409)["code"] == "counter_busy"
    assert post("recall").get_json()["ticket"]["recalls"] == 1
    assert post("start").get_json()["ticket"]["status"] == "serving"
    assert post("finish").get_json() == {"ticket": None}
    assert client.get(f"/api/tickets/{a['token']}").get_json()["status"] == "done"
    error_of(post("finish"), 409)
    nxt = post("call-next").get_json()["ticket"]
    assert nxt["number"] == "B-001"
    assert post("transfer", json={"service": "PERIZINAN"}).get_json() == {"ticket": None}
    again = post("call-next").get_json()["ticket"]
    assert again["number"] == "B-001" and again["service"] == "PERIZINAN"
    assert post("no-show").get_json() == {"ticket": None}
    assert post("call-next").get_json() == {"ticket": None}


def test_finish_current_in_body(client, clerk):
    issued(client), issued(client)
    client.post("/api/counters/L01/call-next", headers=clerk)
    resp = client.post("/api/counters/L01/call-next", headers=clerk, json={"finish_current": True})
    assert resp.get_json()["ticket"]["number"] == "A-002"


def test_call_specific_number(client, clerk):
    issued(client), issued(client)
    assert client.post("/api/counters/L01/call", headers=clerk,
                       json={"number": "A-002"}).get_json()["ticket"]["number"] == "A-002"
    client.post("/api/counters/L01/finish", headers=clerk)
    assert error_of(client.post("/api/counters/L01/call", headers=clerk, json={"number": "A-009"}), 404)
    error_of(client.post("/api/counters/L01/call", headers=clerk, json={"number": 9}), 422)
    error_of(client.post("/api/counters/L01/call", headers=clerk, json={}), 422)


def test_pause_and_resume(client, clerk):
    issued(client)
    assert client.post("/api/counters/L01/pause", headers=clerk).status_code == 200
    assert error_of(client.post("/api/counters/L01/call-next", headers=clerk), 409)["code"] == "counter_paused"
    error_of(client.post("/api/counters/L01/pause", headers=clerk), 409)
    assert client.post("/api/counters/L01/resume", headers=clerk).status_code == 200


@pytest.mark.parametrize(("action", "kwargs"), [
    ("transfer", {"json": {}}),
    ("transfer", {"json": {"service": ["A"]}}),
    ("call-next", {"json": {"finish_current": "yes"}}),
    ("call-next", {"data": "{oops", "content_type": "application/json"}),
])
def test_counter_bad_input(client, clerk, action, kwargs):
    issued(client)
    client.post("/api/counters/L01/call-next", headers=clerk) if action == "transfer" else None
    assert client.post(f"/api/counters/L01/{action}", headers=clerk, **kwargs).status_code in (400, 422)


def test_transfer_to_unknown_service_is_404_and_keeps_ticket(client, clerk):
    issued(client)
    client.post("/api/counters/L01/call-next", headers=clerk)
    error_of(client.post("/api/counters/L01/transfer", headers=clerk, json={"service": "NOPE"}), 404)
    current = client.get("/api/counters", headers=clerk).get_json()[0]["current"]
    assert current["number"] == "A-001" and current["status"] == "called"


def test_repeated_click_with_idempotency_key_acts_once(client, clerk):
    issued(client), issued(client)
    h = {**clerk, "Idempotency-Key": "click-1"}
    first = client.post("/api/counters/L01/call-next", headers=h).get_json()
    second = client.post("/api/counters/L01/call-next", headers=h).get_json()
    assert first["ticket"]["number"] == second["ticket"]["number"] == "A-001"
    assert second["replayed"] is True
    fin = {**clerk, "Idempotency-Key": "click-2"}
    assert client.post("/api/counters/L01/finish", headers=fin).status_code == 200
    assert client.post("/api/counters/L01/finish", headers=fin).status_code == 200  # not a 409


def test_session_cookie_needs_csrf(app, client, staff):
    staff.user("siti", "clerk", ["L01"], password="kata-sandi-1")
    page = client.get("/login")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "siti", "password": "kata-sandi-1", "csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/api/counters").status_code == 200
    assert error_of(client.post("/api/counters/L01/pause"), 400)["code"] == "bad_request"
    assert error_of(client.post("/api/counters/L01/pause", headers={"X-CSRFToken": token}), 400)  # pre-login token
    token = client.get("/api/me").get_json()["csrf_token"]
    assert client.post("/api/counters/L01/pause", headers={"X-CSRFToken": token}).status_code == 200


def test_login_form_without_csrf_is_refused(client, staff):
    staff.user("siti", password="kata-sandi-1")
    resp = client.post("/login", data={"username": "siti", "password": "kata-sandi-1"})
    assert resp.status_code == 400


# --- statistics ------------------------------------------------------------------------------


def test_stats_summary_and_export(client, clerk, manager):
    issued(client), issued(client, "NONIZIN")
    client.post("/api/counters/L01/call-next", headers=clerk)
    client.post("/api/counters/L01/finish", headers=clerk)
    body = client.get("/api/stats/summary", headers=manager).get_json()
    perizinan = next(s for s in body["services"] if s["code"] == "PERIZINAN")
    assert perizinan["issued"] == 1 and perizinan["served"] == 1 and perizinan["within_target_pct"] == 100.0
    assert body["total"]["issued"] == 2 and body["total"]["waiting_now"] == 1
    csv_text = client.get("/api/stats/export.csv", headers=manager).get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("number,service_day") and len(lines) == 3
    error_of(client.get("/api/stats/summary?from=2026-13-01", headers=manager), 422)
    error_of(client.get("/api/stats/summary?from=2026-10-02&to=2026-10-01", headers=manager), 422)
