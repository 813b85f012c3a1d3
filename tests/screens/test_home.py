"""The start page lists every screen of the site, and /favicon.ico answers for all of them."""

from __future__ import annotations

from ..helpers import TEST_SITE, built_app, make_site

BOOKING = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 2
''', 1)


def test_the_start_page_lists_every_screen(tmp_path, db_url):
    with built_app(make_site(tmp_path, BOOKING), db_url) as app:
        page = app.test_client().get("/").get_data(True)
    for href in ("/kiosk/K1", "/display/", "/display/?zone=lantai-1", "/booking", "/counter/", "/dashboard/",
                 "/dashboard/ikm", "/admin/", "/survey/L01", "/survey/L02", "/survey/L03", "/api/openapi.json"):
        assert f'href="{href}"' in page, href


def test_a_site_without_bookings_does_not_offer_the_booking_page(client):
    assert 'href="/booking"' not in client.get("/").get_data(True)


def test_the_icon_is_served_at_the_root_for_every_screen(client):
    with client.get("/favicon.ico") as resp:
        assert resp.status_code == 200 and resp.mimetype == "image/vnd.microsoft.icon"
        assert resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for path in ("/", "/kiosk/K1", "/display", "/booking", "/login"):
        assert '<link rel="icon" href="/favicon.ico">' in client.get(path).get_data(True), path
