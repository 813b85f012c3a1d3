"""The survey tablet is a device with its own key (issue 30): enrolled by an admin (the admin signed out there),
or made with ``mpp-queue survey key``; no staff session runs it; a new key or a revocation closes its socket at
once. docs/security.md names each test."""

from __future__ import annotations

import time

import pytest

from queue_app.core.extensions import db, socketio
from queue_app.staff.devices import COOKIE, create_key

from ..helpers import login

pytestmark = pytest.mark.both_databases


def _ended(c, wait: float = 3.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + wait
    while c.is_connected("/survey") and time.monotonic() < deadline:
        time.sleep(0.02)
    return not c.is_connected("/survey")


def _key(app, code: str = "L01") -> str:  # noqa: ANN001
    with app.app_context():
        key = create_key("survey", code)
        db.session.commit()
    return key


def test_a_staff_session_no_longer_runs_the_tablet(app, staff):
    staff.user("kasir", "clerk", ["L01"])
    web = app.test_client()
    login(web, "kasir")
    page = web.get("/survey/L01")
    assert page.status_code == 401 and "tablet" in page.get_data(as_text=True).lower()
    sock = socketio.test_client(app, namespace="/survey", auth={"counter": "L01"}, flask_test_client=web)
    assert not sock.is_connected("/survey")


def test_an_admin_enrols_the_tablet_and_is_signed_out_there(app, staff):
    staff.user("boss", "admin")
    tablet = app.test_client()
    csrf = login(tablet, "boss")
    assert tablet.get("/survey/L01").headers["Location"].endswith("/admin/tablets")  # an admin is sent to enrol it
    assert 'data-tablet="L01"' in tablet.get("/admin/tablets").get_data(as_text=True)
    resp = tablet.post("/admin/tablets/L01/enrol", data={"csrf_token": csrf})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/survey/L01")
    cookie = tablet.get_cookie(COOKIE)
    assert cookie.value.startswith("survey:L01:") and cookie.http_only and cookie.same_site == "Strict"
    assert tablet.get("/api/me").status_code == 401  # no staff session in front of visitors
    page = tablet.get("/survey/L01")
    assert page.status_code == 200 and 'id="tablet"' in page.get_data(as_text=True)
    sock = socketio.test_client(app, namespace="/survey", auth={"counter": "L01"}, flask_test_client=tablet)
    assert sock.is_connected("/survey")
    # the tablet of L01 is not the tablet of L02
    assert tablet.get("/survey/L02").status_code == 401
    sock.disconnect("/survey")


def test_a_revoked_or_rotated_tablet_key_closes_its_socket_at_once(app, client, staff):
    admin = app.test_client()
    staff.user("boss", "admin")
    csrf = login(admin, "boss")
    first = socketio.test_client(app, namespace="/survey", auth={"counter": "L01", "key": _key(app)})
    assert first.is_connected("/survey")
    key = _key(app)  # a new key (enrolling again, `mpp-queue survey key`) ends the old one
    assert _ended(first)
    second = socketio.test_client(app, namespace="/survey", auth={"counter": "L01", "key": key})
    bystander = socketio.test_client(app, namespace="/survey", auth={"counter": "L02", "key": _key(app, "L02")})
    assert second.is_connected("/survey")
    assert admin.post("/admin/tablets/L01/revoke", data={"csrf_token": csrf}).status_code == 302
    assert _ended(second) and not _ended(bystander, wait=0.3)
    assert client.get("/survey/L01", headers={"X-Survey-Key": key}).status_code == 401
    assert "device_revoked" in admin.get("/admin/audit").get_data(as_text=True)
    bystander.disconnect("/survey")


def test_a_tablet_key_rotated_unannounced_is_swept(app):
    """A key rotated by a command line of a site without the message queue: housekeeping's sweep ends it."""
    from queue_app.staff import devices
    from queue_app.survey.tablet import sweep_tablets

    sock = socketio.test_client(app, namespace="/survey", auth={"counter": "L01", "key": _key(app)})
    with app.app_context():  # written without end_access, as another process would
        from queue_app.core.database import begin_write
        from queue_app.core.models import Setting

        begin_write()
        row = db.session.get(Setting, "survey_key:L01")
        row.value = {"sha256": devices._hash("another"), "created_at": row.value["created_at"]}
        db.session.commit()
        assert sweep_tablets() == 1
    assert _ended(sock)


def test_the_survey_key_command_prints_a_key_and_revoke_ends_it(tmp_path):
    """`mpp-queue survey key L01` prints a key once (a tablet or client uses it); `survey revoke L01` ends it;
    both are in the audit log."""
    import contextlib
    import sqlite3

    from click.testing import CliRunner

    from queue_app.ops.cli import cli

    from ..helpers import TEST_SITE

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    runner = CliRunner()

    def run(*args: str):  # noqa: ANN202
        return runner.invoke(cli, ["--config", str(cfg), *args], catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    made = run("survey", "key", "L01")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert len(key) >= 40 and key not in made.stderr
    assert run("survey", "key", "L99").exit_code != 0
    with contextlib.closing(sqlite3.connect(tmp_path / "instance" / "queue.db")) as con:
        (stored,) = con.execute("SELECT value FROM settings WHERE key = 'survey_key:L01'").fetchone()
    assert key not in stored
    revoked = run("survey", "revoke", "L01")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    with contextlib.closing(sqlite3.connect(tmp_path / "instance" / "queue.db")) as con:
        assert con.execute("SELECT count(*) FROM settings WHERE key = 'survey_key:L01'").fetchone() == (0,)
        actions = [a for (a,) in con.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["device_enrolled", "device_revoked"]
