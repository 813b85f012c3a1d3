"""The kiosk's server side: the page, its data blocks, the friendly 404, the QR image, [kiosk] options."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from queue_app.core.siteconfig import ConfigError, parse_site_config

from ..helpers import TEST_SITE, take_ticket


def _json_block(html: str, block_id: str):
    m = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html, re.S)
    assert m, f"no #{block_id} block"
    return json.loads(m.group(1))


def test_kiosk_page_renders_with_its_data(client):
    resp = client.get("/kiosk/K2")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Ambil Nomor Antrean" in html
    settings = _json_block(html, "kiosk-settings")
    assert settings["code"] == "K2" and settings["has_printer"] is True
    assert settings["idle_seconds"] == 60 and settings["confirm_seconds"] == 8
    assert settings["timezone"] == "Asia/Jakarta" and settings["locale"] == "id"
    services = _json_block(html, "kiosk-services")
    assert [s["code"] for s in services] == ["PERIZINAN", "HALAL"]  # K2 offers a subset
    strings = _json_block(html, "kiosk-strings")
    assert strings["id"]["take_ticket"] == "Silakan ambil tiket Anda"
    assert set(strings["id"]) == set(strings["en"]), "every text needs both languages"
    assert "Printer bermasalah" in strings["id"]["printer_problem"]


def test_kiosk_page_obeys_the_csp(client):
    """No inline script or style: the CSP (script-src 'self'; style-src 'self') would block them."""
    html = client.get("/kiosk/K1").get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    for name in ("kiosk.js", "kiosk.css"):
        with client.get(f"/kiosk/static/{name}") as resp:
            assert resp.status_code == 200


def test_kiosk_page_in_english(client):
    html = client.get("/kiosk/K1?lang=en").get_data(as_text=True)
    assert "Take a Queue Number" in html
    assert '<html lang="en"' in html


def test_unknown_kiosk_is_a_friendly_404(client):
    resp = client.get("/kiosk/NOPE")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Kios tidak dikenal" in html and "NOPE" in html
    assert "Traceback" not in html


def test_kiosk_index_lists_kiosks(client):
    html = client.get("/kiosk/").get_data(as_text=True)
    assert "/kiosk/K1" in html and "/kiosk/K2" in html


def test_qr_svg_encodes_the_tracking_url(client):
    ticket = take_ticket(client, "PERIZINAN", kiosk="K1").get_json()
    resp = client.get(f"/kiosk/qr/{ticket['token']}.svg")
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert "private" in resp.headers["Cache-Control"]
    svg = resp.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg
    assert _decode_svg_qr(svg) == ticket["track_url"]


def test_qr_of_unknown_token_is_404(client):
    assert client.get("/kiosk/qr/not-a-real-token.svg").status_code == 404


def _decode_svg_qr(svg: str) -> str | None:
    """Rasterise our one-path SVG and decode it, to prove the image really is the ticket's QR."""
    import zxingcpp
    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    path = re.search(r'<path fill="#000" d="([^"]*)"', svg).group(1)
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)", path):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    results = zxingcpp.read_barcodes(img)
    return results[0].text if results else None


def test_kiosk_options_in_config(tmp_path):
    raw = tomllib.loads(TEST_SITE + "\n[kiosk]\nidle_reset_seconds = 45\nconfirm_seconds = 5\n")
    site = parse_site_config(raw, base_dir=tmp_path)
    assert (site.kiosk_idle_seconds, site.kiosk_confirm_seconds) == (45, 5)
    for bad, key in (("idle_reset_seconds = 1", "kiosk.idle_reset_seconds"),
                     ("confirm_seconds = \"x\"", "kiosk.confirm_seconds"),
                     ("colour = 1", "kiosk.colour")):
        with pytest.raises(ConfigError, match=re.escape(key)):
            parse_site_config(tomllib.loads(TEST_SITE + f"\n[kiosk]\n{bad}\n"), base_dir=tmp_path)


def test_start_page_lists_every_screen(client):
    """``make run`` prints the site's root URL: it must lead to the kiosks, the displays, staff pages and the API."""
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for href in ('href="/kiosk/K1"', 'href="/kiosk/K2"', 'href="/display/"', 'href="/display/?zone=lantai-1"',
                 'href="/display/?zone=lantai-2"', 'href="/counter/"', 'href="/dashboard/"', 'href="/admin/"',
                 'href="/api/openapi.json"'):
        assert href in html, href
    assert "Kios ambil nomor antrean" in html  # Indonesian by default
    assert "Ticket kiosks" in client.get("/?lang=en").get_data(as_text=True)
