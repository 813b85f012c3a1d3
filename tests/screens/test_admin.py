"""Admin actions: users, counters, closed services, running text; each one audited; pages and API scoped."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from queue_app.core.errors import InvalidTransition, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_service
from queue_app.queue.opening import service_open_reason
from queue_app.staff import admin
from queue_app.staff.auth import authenticate
from queue_app.staff.models import ApiToken, AuditEntry, Role, User

from ..helpers import PASSWORD, login, take_ticket


def form_token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def boss() -> User:
    return db.session.scalar(sa.select(User).where(User.username == "boss"))


def last_audit() -> AuditEntry:
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))


@pytest.fixture
def actor(staff, ctx):
    staff.user("boss", "admin")
    return boss()


# --- domain functions ------------------------------------------------------------------------


def test_create_user_is_audited(actor):
    user = admin.create_user(actor, "siti", role="clerk", password=PASSWORD, counters=["L01", "L02"],
                             full_name="Siti Aminah")
    db.session.commit()
    assert [c.code for c in user.counters] == ["L01", "L02"] and user.role is Role.clerk
    entry = last_audit()
    assert (entry.action, entry.target, entry.user_id) == ("user_created", "siti", actor.id)
    assert entry.details["counters"] == ["L01", "L02"] and entry.at is not None
    assert PASSWORD not in str(entry.details)


def test_create_user_refuses_bad_input_without_audit(actor):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for kwargs in [dict(username="siti", role="clerk", password="short"),
                   dict(username="siti", role="king", password=PASSWORD),
                   dict(username="bad name!", role="clerk", password=PASSWORD),
                   dict(username="siti", role="clerk", password=PASSWORD, counters=["L99"])]:
        with pytest.raises(ValidationFailed):
            admin.create_user(actor, **kwargs)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_disable_ends_sessions_and_tokens(actor, staff, app):
    staff.headers("siti", "clerk", ["L01"])
    db.session.commit()  # end the read transaction so the new user is visible
    user = admin.get_user("siti")
    version = user.session_version
    admin.set_user_active(actor, "siti", False)
    db.session.commit()
    assert user.active is False and user.session_version == version + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
    assert authenticate("siti", PASSWORD) is None
    assert last_audit().action == "user_disabled"
    with pytest.raises(InvalidTransition):
        admin.set_user_active(actor, "siti", False)
    db.session.rollback()
    admin.set_user_active(actor, "siti", True)
    db.session.commit()
    assert authenticate("siti", PASSWORD) is not None and last_audit().action == "user_enabled"


def test_admin_cannot_lock_the_site_out(actor, staff):
    with pytest.raises(ValidationFailed):
        admin.set_user_active(actor, "boss", False)  # themself
    db.session.rollback()
    staff.user("other", "admin")
    db.session.commit()
    other = admin.get_user("other")
    admin.set_user_active(actor, "other", False)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="last active admin"):
        admin.set_user_active(other, "boss", False)
    db.session.rollback()


def test_reset_password_is_audited_without_the_password(actor, staff):
    staff.headers("siti", "clerk", ["L01"])
    db.session.commit()
    admin.reset_password(actor, "siti", "kata-sandi-baru")
    db.session.commit()
    assert authenticate("siti", PASSWORD) is None
    assert authenticate("siti", "kata-sandi-baru") is not None
    user = admin.get_user("siti")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
    entry = last_audit()
    assert entry.action == "password_reset" and "kata-sandi-baru" not in str(entry.details)
    with pytest.raises(ValidationFailed):
        admin.reset_password(actor, "siti", "short")


def test_assign_counters_records_before_and_after(actor, staff):
    staff.user("siti", "clerk", ["L01"])
    db.session.commit()
    admin.assign_counters(actor, "siti", ["L02", "L03", "L02"])
    db.session.commit()
    assert [c.code for c in admin.get_user("siti").counters] == ["L02", "L03"]
    entry = last_audit()
    assert entry.details == {"before": ["L01"], "after": ["L02", "L03"]}
    with pytest.raises(ValidationFailed):
        admin.assign_counters(actor, "siti", ["L99"])
    db.session.rollback()
    with pytest.raises(admin.UserNotFound):
        admin.assign_counters(actor, "nobody", [])


def test_close_and_open_a_service_for_today(actor, client, display_client):
    display_client.get_received("/display")
    admin.close_service(actor, "HALAL", "Sistem SIHALAL sedang gangguan")
    db.session.commit()
    tiles = {s["code"]: s for s in client.get("/api/services").json}
    assert tiles["HALAL"]["open"] is False
    assert tiles["HALAL"]["closed_message"] == "Sistem SIHALAL sedang gangguan"
    refused = take_ticket(client, "HALAL")
    assert refused.status_code == 409 and "SIHALAL" in refused.json["error"]["message"]
    entry = last_audit()
    assert (entry.action, entry.target, entry.user_id) == ("service_closed", "HALAL", actor.id)
    assert entry.details["reason"] == "Sistem SIHALAL sedang gangguan"
    events = [e for e in display_client.get_received("/display") if e["name"] == "settings_changed"]
    assert events and events[0]["args"][0]["service"] == "HALAL" and events[0]["args"][0]["open"] is False

    admin.open_service(actor, "HALAL")
    db.session.commit()
    assert {s["code"]: s for s in client.get("/api/services").json}["HALAL"]["open"] is True
    assert take_ticket(client, "HALAL").status_code == 201
    assert last_audit().action == "service_opened"
    with pytest.raises(InvalidTransition):
        admin.open_service(actor, "HALAL")


def test_closing_needs_a_reason(actor):
    with pytest.raises(ValidationFailed):
        admin.close_service(actor, "HALAL", "   ")
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        admin.close_service(actor, "HALAL", "x" * 201)


def test_closed_only_for_the_day(actor):
    from datetime import timedelta

    from queue_app.core import clock

    admin.close_service(actor, "HALAL", "Libur")
    db.session.commit()
    clock.travel(timedelta(days=1))
    assert service_open_reason(get_service("HALAL")) is None


def test_running_text_reaches_displays(actor, client, display_client):
    assert client.get("/api/display").json["running_text"] == "Selamat datang"
    display_client.get_received("/display")
    admin.set_running_text(actor, "  Layanan   buka 08.00-15.00\nWIB  ")
    db.session.commit()
    assert client.get("/api/display").json["running_text"] == "Layanan buka 08.00-15.00 WIB"
    got = [e["args"][0] for e in display_client.get_received("/display") if e["name"] == "settings_changed"]
    assert got and got[0]["running_text"] == "Layanan buka 08.00-15.00 WIB"
    entry = last_audit()
    assert entry.action == "running_text_set"
    assert entry.details == {"before": "Selamat datang", "after": "Layanan buka 08.00-15.00 WIB"}
    with pytest.raises(ValidationFailed):
        admin.set_running_text(actor, "x" * 501)


def test_audit_entries_newest_first_with_who(actor):
    admin.set_running_text(actor, "satu")
    admin.set_running_text(None, "dua")  # e.g. from the command line
    db.session.commit()
    rows = admin.audit_entries(limit=2)
    assert [(e.details["after"], who) for e, who in rows] == [("dua", None), ("satu", "boss")]
    older = admin.audit_entries(limit=5, before_id=rows[0][0].id)
    assert older[0][0].id == rows[1][0].id


# --- JSON API ----------------------------------------------------------------------------------


def test_admin_api_is_for_admins_only(client, clerk, manager):
    for method, path in [("get", "/api/admin/users"), ("post", "/api/admin/users"),
                         ("post", "/api/admin/services/HALAL/close"), ("put", "/api/admin/running-text"),
                         ("get", "/api/admin/audit"), ("put", "/api/admin/users/x/counters")]:
        assert getattr(client, method)(path).status_code == 401
        assert getattr(client, method)(path, headers=clerk, json={}).status_code == 403
        assert getattr(client, method)(path, headers=manager, json={}).status_code == 403


def test_admin_api_round_trip(client, admin):
    created = client.post("/api/admin/users", headers=admin, json={
        "username": "siti", "role": "clerk", "password": PASSWORD, "counters": ["L01"], "full_name": "Siti"})
    assert created.status_code == 201 and created.json["counters"] == ["L01"]
    assert client.post("/api/admin/users", headers=admin, json={
        "username": "siti", "role": "clerk", "password": PASSWORD}).status_code == 422
    assert client.post("/api/admin/users", headers=admin, data="{nope",
                       content_type="application/json").status_code == 400
    assert client.post("/api/admin/users", headers=admin, json={
        "username": "x1", "role": "clerk", "password": PASSWORD, "counters": "L01"}).status_code == 422

    token = client.post("/api/auth/token", json={"username": "siti", "password": PASSWORD}).json["token"]
    siti = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=siti).status_code == 200
    moved = client.put("/api/admin/users/siti/counters", headers=admin, json={"counters": ["L02"]})
    assert moved.json["counters"] == ["L02"]
    assert client.post("/api/counters/L01/call-next", headers=siti).status_code == 403
    assert client.put("/api/admin/users/nobody/counters", headers=admin, json={"counters": []}).status_code == 404

    assert client.post("/api/admin/users/siti/password", headers=admin, json={"password": "baru-12345"}).status_code == 200
    assert client.get("/api/me", headers=siti).status_code == 401  # the old token died with the old password
    assert client.post("/api/admin/users/siti/disable", headers=admin).json["active"] is False
    assert client.post("/api/auth/token", json={"username": "siti", "password": "baru-12345"}).status_code == 401
    assert client.post("/api/admin/users/siti/enable", headers=admin).json["active"] is True

    closed = client.post("/api/admin/services/HALAL/close", headers=admin, json={"reason": "Gangguan"})
    assert closed.json == {**closed.json, "closed_today": True, "closed_reason": "Gangguan"}
    assert client.post("/api/admin/services/NOPE/close", headers=admin, json={"reason": "x"}).status_code == 404
    assert client.post("/api/admin/services/HALAL/close", headers=admin, json={}).status_code == 422
    assert client.post("/api/admin/services/HALAL/open", headers=admin).json["closed_today"] is False
    assert client.post("/api/admin/services/HALAL/open", headers=admin).status_code == 409

    assert client.put("/api/admin/running-text", headers=admin, json={"text": "Halo"}).json == {"text": "Halo"}
    assert client.get("/api/admin/running-text", headers=admin).json == {"text": "Halo"}
    assert client.put("/api/admin/running-text", headers=admin, json={"text": 5}).status_code == 422

    actions = [e["action"] for e in client.get("/api/admin/audit", headers=admin).json]
    assert actions == ["running_text_set", "service_opened", "service_closed", "user_enabled", "user_disabled",
                       "password_reset", "counters_assigned", "user_created"]
    assert {e["user"] for e in client.get("/api/admin/audit", headers=admin).json} == {"admin1"}
    assert client.get("/api/admin/audit?limit=x", headers=admin).status_code == 422


def test_admin_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ("/admin/users", "/admin/users/{username}/disable", "/admin/users/{username}/password",
                 "/admin/users/{username}/counters", "/admin/services/{code}/close", "/admin/running-text",
                 "/admin/audit", "/counters/{code}/queue"):
        assert any(p.endswith(path) for p in paths), path


# --- HTML pages ----------------------------------------------------------------------------------


def test_admin_pages_for_admins_only(app, staff, client):
    staff.user("boss", "admin")
    staff.user("siti", "clerk", ["L01"])
    assert client.get("/admin/users").status_code == 302  # to the login page
    c = app.test_client()
    login(c, "siti")
    for page in ("users", "services", "display", "audit", "users/siti"):
        assert c.get(f"/admin/{page}").status_code == 403
    a = app.test_client()
    login(a, "boss")
    for page in ("users", "services", "display", "audit", "users/siti"):
        assert a.get(f"/admin/{page}").status_code == 200, page
    assert a.get("/admin/users/nobody").status_code == 404


def test_admin_forms_change_and_audit(app, staff):
    staff.user("boss", "admin", full_name="Kepala MPP")
    a = app.test_client()
    login(a, "boss")
    token = form_token(a, "/admin/users")
    assert a.post("/admin/users", data={"username": "rudi", "role": "clerk", "password": PASSWORD,
                                                "counters": ["L01", "L03"]}).status_code == 400  # no CSRF token
    resp = a.post("/admin/users", data={"username": "rudi", "role": "clerk", "password": PASSWORD,
                                                "counters": ["L01", "L03"], "csrf_token": token,
                                                "full_name": "Rudi"}, follow_redirects=True)
    assert resp.status_code == 200 and "Tersimpan" in resp.text and "rudi" in resp.text
    refused = a.post("/admin/users", data={"username": "rudi", "role": "clerk", "password": PASSWORD,
                                                   "csrf_token": token}, follow_redirects=True)
    assert 'class="alert"' in refused.text and "Pengguna &#34;rudi&#34; sudah ada." in refused.text  # the page's language

    r = a.post("/admin/users/rudi/counters", data={"counters": ["L02"], "csrf_token": token},
               follow_redirects=True)
    assert re.search(r'value="L02" checked', r.text) and not re.search(r'value="L01" checked', r.text)
    a.post("/admin/users/rudi/password", data={"password": "sandi-baru-1", "csrf_token": token})
    a.post("/admin/users/rudi/disable", data={"csrf_token": token})
    a.post("/admin/services/HALAL/close", data={"reason": "Server pusat gangguan", "csrf_token": token})
    a.post("/admin/display", data={"running_text": "Selamat pagi", "csrf_token": token})

    services = a.get("/admin/services").text
    assert "Ditutup hari ini" in services and "Server pusat gangguan" in services
    assert "Selamat pagi" in a.get("/admin/display").text
    audit = a.get("/admin/audit").text
    for label in ("Pengguna dibuat", "Loket ditetapkan", "Kata sandi diatur ulang", "Pengguna dinonaktifkan",
                  "Layanan ditutup", "Teks berjalan diubah"):
        assert label in audit, label
    assert audit.count("<td>boss</td>") == 6
    assert "sandi-baru-1" not in audit


def test_disabled_clerk_is_signed_out_at_once(app, staff):
    staff.user("boss", "admin")
    staff.user("siti", "clerk", ["L01"])
    c = app.test_client()
    login(c, "siti")
    assert c.get("/counter/L01").status_code == 200
    with app.app_context():
        admin.set_user_active(boss(), "siti", False)
        db.session.commit()
    assert c.get("/api/me").status_code == 401
    assert c.get("/counter/L01").status_code == 302


# --- closed days and display notices ---------------------------------------------------------


def test_a_closed_day_acts_like_a_holiday_everywhere(actor, client, display_client):
    from queue_app.staff import closures

    display_client.get_received("/display")
    closures.close_site(actor, today_local(), "Rapat kerja seluruh pegawai")
    db.session.commit()
    refused = take_ticket(client, "PERIZINAN")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "holiday"
    assert "Rapat kerja seluruh pegawai" in refused.json["error"]["message"]
    tiles = client.get("/api/services").json
    assert all(not s["open"] and s["holiday"] == "Rapat kerja seluruh pegawai" for s in tiles)
    assert client.get("/api/display").json["closed"] == "Rapat kerja seluruh pegawai"
    got = [e["args"][0] for e in display_client.get_received("/display") if e["name"] == "settings_changed"]
    assert {"kind": "closure", "closed": "Rapat kerja seluruh pegawai"} in got
    entry = last_audit()
    assert (entry.action, entry.target, entry.user_id) == ("site_closed", today_local().isoformat(), actor.id)
    assert entry.details["reason"] == "Rapat kerja seluruh pegawai"

    closures.reopen_site(actor, today_local().isoformat())
    db.session.commit()
    assert last_audit().action == "site_reopened"
    assert client.get("/api/display").json["closed"] is None
    assert take_ticket(client, "PERIZINAN").status_code == 201


def test_closing_a_day_needs_a_reason_and_a_day_to_come(actor):
    from datetime import timedelta

    from queue_app.staff import closures

    for day, reason in [(today_local(), " "), (today_local() - timedelta(days=1), "Libur"), ("31-12-2026", "x"),
                        (today_local(), "x" * 201)]:
        with pytest.raises(ValidationFailed):
            closures.close_site(actor, day, reason)
        db.session.rollback()
    with pytest.raises(closures.ClosureNotFound):
        closures.reopen_site(actor, today_local())


def test_closures_page_and_notices_page(app, staff, client):
    from datetime import timedelta

    staff.user("boss", "admin")
    a = app.test_client()
    login(a, "boss")
    token = form_token(a, "/admin/closures")
    later = (today_local() + timedelta(days=3)).isoformat()
    page = a.post("/admin/closures", data={"day": later, "reason": "Pemadaman listrik PLN", "csrf_token": token},
                  follow_redirects=True).text
    assert "Pemadaman listrik PLN" in page and f'data-day="{later}"' in page
    refused = a.post("/admin/closures", data={"day": "kemarin", "reason": "x", "csrf_token": token},
                     follow_redirects=True).text
    assert 'class="alert"' in refused and "TTTT-BB-HH" in refused
    # another day: today still takes tickets
    assert take_ticket(client, "PERIZINAN").status_code == 201

    a.post("/admin/notices", data={"title": ["Persyaratan KTP", "", "Jam istirahat"],
                                   "text": ["Bawa KK asli", "", "Jumat 11.30-13.00"], "csrf_token": token})
    assert client.get("/api/display").json["notices"] == [
        {"title": "Persyaratan KTP", "text": "Bawa KK asli"}, {"title": "Jam istirahat", "text": "Jumat 11.30-13.00"}]
    assert "Persyaratan KTP" in a.get("/admin/display").text
    a.post(f"/admin/closures/{later}/reopen", data={"csrf_token": token})
    audit = a.get("/admin/audit").text
    for label in ("Gedung ditutup", "Gedung dibuka kembali", "Pengumuman layar diubah"):
        assert label in audit, label
    c = app.test_client()
    staff.user("siti", "clerk", ["L01"])
    login(c, "siti")
    assert c.get("/admin/closures").status_code == 403


def today_local():
    """The test site's day (Asia/Jakarta), whatever the machine's zone."""
    from zoneinfo import ZoneInfo

    from queue_app.core import clock

    return clock.local_day(ZoneInfo("Asia/Jakarta"))


def test_closures_and_notices_api(client, admin, clerk):
    from datetime import timedelta

    later = (today_local() + timedelta(days=2)).isoformat()
    assert client.post("/api/admin/closures", headers=clerk, json={"day": later, "reason": "x"}).status_code == 403
    made = client.post("/api/admin/closures", headers=admin, json={"day": later, "reason": "Rapat kerja"})
    assert made.status_code == 201 and made.json["day"] == later
    assert client.post("/api/admin/closures", headers=admin, json={"day": "besok", "reason": "x"}).status_code == 422
    assert client.post("/api/admin/closures", headers=admin, json={"day": later}).status_code == 422
    listed = client.get("/api/admin/closures", headers=admin).json
    assert listed["closures"][0]["reason"] == "Rapat kerja" and listed["holidays"] == []
    assert client.delete(f"/api/admin/closures/{later}", headers=admin).status_code == 200
    assert client.delete(f"/api/admin/closures/{later}", headers=admin).status_code == 404
    assert client.delete("/api/admin/closures/nanti", headers=admin).status_code == 404

    put = client.put("/api/admin/notices", headers=admin, json={"notices": [{"title": "Info", "text": "Bawa KTP"}]})
    assert put.status_code == 200 and put.json["notices"] == [{"title": "Info", "text": "Bawa KTP"}]
    assert client.get("/api/admin/notices", headers=admin).json["notices"] == [{"title": "Info", "text": "Bawa KTP"}]
    assert client.put("/api/admin/notices", headers=admin, json={"notices": "x"}).status_code == 422
    assert client.put("/api/admin/notices", headers=admin,
                      json={"notices": [{"title": "t" * 81, "text": ""}]}).status_code == 422


def test_refusals_speak_the_pages_language_and_show_a_way_back(tmp_path, db_url):
    """An Indonesian admin page says why in Indonesian (closing a day config.toml already closes), and a 403
    page is Indonesian with links to the start page and to signing in as someone else."""
    from datetime import timedelta

    from ..helpers import TEST_SITE, Staff, built_app, make_site

    holiday = today_local() + timedelta(days=5)
    site = make_site(tmp_path, TEST_SITE + f'\n[[holidays]]\ndate = "{holiday}"\nname = "Hari Raya Natal"\n')
    with built_app(site, db_url) as app:
        staff = Staff(app)
        staff.user("boss", "admin")
        staff.user("siti", "clerk", ["L01"])
        a = app.test_client()
        login(a, "boss")
        token = form_token(a, "/admin/closures")
        page = a.post("/admin/closures", data={"day": holiday.isoformat(), "reason": "Rapat", "csrf_token": token},
                      follow_redirects=True).text
        assert f"{holiday.isoformat()} sudah menjadi hari libur di config.toml (Hari Raya Natal)." in page
        assert "already a holiday" not in page
        # the API keeps one language for integrators: English
        api = a.post("/api/admin/closures", json={"day": holiday.isoformat(), "reason": "Rapat"},
                     headers={"X-CSRFToken": a.get("/api/me").json["csrf_token"]})
        assert api.status_code == 422 and "already a holiday" in api.json["error"]["message"]

        c = app.test_client()
        login(c, "siti")
        for path in ("/admin/closures", "/dashboard/"):
            refused = c.get(path)
            assert refused.status_code == 403
            assert "Akses ditolak" in refused.text and "Only admins" not in refused.text
            assert 'href="/"' in refused.text and 'href="/login?next=' in refused.text
        assert "Access denied" in c.get("/admin/users?lang=en").text
