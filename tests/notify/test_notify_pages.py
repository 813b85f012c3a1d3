"""The screens of the notices, as the server renders them: the kiosk's phone step only when a provider is set,
the phone page's number form, the dashboard's notice form (its services scoped to the manager's agency), the
admin's messages of a visit (numbers masked)."""

from __future__ import annotations

import json
import re

import pytest

from ..helpers import TEST_SITE, Staff, built_app, issued, login, make_site

NOTIFY = '''
[notify]
provider = "http"

[notify.http]
url = "http://127.0.0.1:9/send"
form = { target = "{phone}", message = "{text}" }
'''


@pytest.fixture
def notify_app(tmp_path):
    text = TEST_SITE.replace("[[agencies]]", NOTIFY + "\n[[agencies]]", 1)
    with built_app(make_site(tmp_path, text), tmp_path / "notify.db") as app:
        yield app


def kiosk_settings(html: str) -> dict:
    return json.loads(re.search(r'id="kiosk-settings">(.*?)</script>', html, re.S).group(1))


def test_the_kiosk_offers_the_phone_step_only_with_a_provider(client, notify_app):
    html = client.get("/kiosk/K1").get_data(True)
    assert kiosk_settings(html)["notify"] is False and 'id="phone"' not in html
    html = notify_app.test_client().get("/kiosk/K1").get_data(True)
    settings = kiosk_settings(html)
    assert settings["notify"] is True and settings["retain_days"] == 30
    assert 'id="phone"' in html and 'href="/privacy"' in html
    assert "Kirim nomor antrean ke WhatsApp" in html and "dihapus setelah 30 hari" in html
    html = notify_app.test_client().get("/kiosk/K1?lang=en").get_data(True)
    assert "Send the queue number to WhatsApp" in html


def test_the_phone_page_shows_the_form_or_the_masked_number(client, notify_app):
    html = client.get(f"/t/{issued(client)['token']}").get_data(True)
    assert 'id="tk-phone"' not in html  # no provider: no number asked for
    web = notify_app.test_client()
    html = web.get(f"/t/{issued(web)['token']}").get_data(True)
    assert 'id="tk-phone-form"' in html and 'autocomplete="tel"' in html and 'href="/privacy"' in html
    token = issued(web, phone="081234567890")["token"]
    html = web.get(f"/t/{token}").get_data(True)
    assert "6281*******90" in html and "081234567890" not in html and "6281234567890" not in html
    assert web.delete(f"/api/tickets/{token}/phone").status_code == 200
    assert "6281*******90" not in web.get(f"/t/{token}").get_data(True)


def test_the_dashboard_offers_the_notice_for_the_managers_own_services(notify_app):
    Staff(notify_app).user("halal-boss", "manager", agency="DINKOPUKM")
    web = notify_app.test_client()
    login(web, "halal-boss")
    html = web.get("/dashboard/").get_data(True)
    form = html[html.index('id="notice-form"'):html.index("</form>", html.index('id="notice-form"'))]
    assert 'value="HALAL"' in form and 'value="PERIZINAN"' not in form and 'maxlength="300"' in form
    assert 'id="health-card"' in html


def test_the_admin_finds_a_visits_messages(notify_app):
    Staff(notify_app).user("root", "admin")
    web = notify_app.test_client()
    ticket = issued(web, phone="0812-3456-7890")
    login(web, "root")
    html = web.get(f"/admin/messages?ticket={ticket['number']}").get_data(True)
    assert 'data-kind="issued"' in html and "6281*******90" in html and "6281234567890" not in html
    html = web.get("/admin/messages?ticket=Z-999").get_data(True)
    assert 'role="alert"' in html
    assert web.get("/admin/messages?ticket=A-001&booking=ABC").status_code == 200
    assert web.get("/admin/messages?date=nope&ticket=A-001").status_code == 200
