"""Service standards (PermenPANRB 15/2014) and the maklumat: config.toml, the API, an admin's edit, and every screen
that shows them (the kiosk's data, the phone page, the booking page, /layanan, the displays' loop, the start page).

The fourteen components and their Indonesian names are checked against the regulation's list written out here.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.siteconfig import ConfigError, parse_site_config
from queue_app.staff.models import AuditEntry

from ..helpers import TEST_SITE, login, make_site, take_ticket

pytestmark = pytest.mark.both_databases

# The regulation's components, in its order: service delivery, then management (PermenPANRB 15/2014, Lampiran)
REGULATION = [
    ("persyaratan", "Persyaratan"),
    ("prosedur", "Sistem, Mekanisme, dan Prosedur"),
    ("waktu", "Jangka Waktu Pelayanan"),
    ("biaya", "Biaya/Tarif"),
    ("produk", "Produk Pelayanan"),
    ("pengaduan", "Penanganan Pengaduan, Saran, dan Masukan"),
    ("dasar_hukum", "Dasar Hukum"),
    ("sarana", "Sarana dan Prasarana, dan/atau Fasilitas"),
    ("kompetensi", "Kompetensi Pelaksana"),
    ("pengawasan", "Pengawasan Internal"),
    ("jumlah_pelaksana", "Jumlah Pelaksana"),
    ("jaminan", "Jaminan Pelayanan"),
    ("keamanan", "Jaminan Keamanan dan Keselamatan Pelayanan"),
    ("evaluasi", "Evaluasi Kinerja Pelaksana"),
]
PUBLIC = [k for k, _ in REGULATION[:6]]
MANAGEMENT = [k for k, _ in REGULATION[6:]]

# every component, written in the file in reverse order: the API must answer the regulation's order
ALL_FOURTEEN = "\n".join(f'{key} = "{key} PERIZINAN"' for key, _ in reversed(REGULATION) if key != "persyaratan")
STANDARD_SITE = TEST_SITE.replace('target_wait_minutes = 15\n', f'''target_wait_minutes = 15

[services.booking]
slot_minutes = 30

[services.standard]
persyaratan = ["KTP-el pemohon", "NIB"]
{ALL_FOURTEEN}
''', 1).replace('daily_quota = 3\n', '''daily_quota = 3

[services.standard]
biaya = "Gratis"
dasar_hukum = "UU 33/2014"
''', 1)
MAKLUMAT = "Dengan ini, kami menyatakan sanggup menyelenggarakan pelayanan sesuai standar pelayanan."


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, STANDARD_SITE, maklumat=MAKLUMAT)


def test_the_api_answers_the_fourteen_components_in_the_regulations_order(client):
    body = client.get("/api/services/PERIZINAN/standard").json
    assert body["service"] == "PERIZINAN" and body["agency"] == "DPMPTSP"
    assert [(c["key"], c["name"]) for c in body["components"]] == REGULATION
    assert body["components"][0]["value"] == ["KTP-el pemohon", "NIB"]
    assert body["components"][2]["value"] == "waktu PERIZINAN"


def test_absent_components_are_left_out_and_no_standard_is_404(client):
    halal = client.get("/api/services/HALAL/standard").json
    assert [(c["key"], c["name"], c["value"]) for c in halal["components"]] == [
        ("biaya", "Biaya/Tarif", "Gratis"), ("dasar_hukum", "Dasar Hukum", "UU 33/2014")]
    none = client.get("/api/services/NONIZIN/standard")
    assert none.status_code == 404 and none.json["error"]["code"] == "no_standard"
    unknown = client.get("/api/services/NOPE/standard")
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "service_not_found"


def test_site_includes_the_maklumat(client):
    body = client.get("/api/site").json
    assert body["maklumat"] == MAKLUMAT and body["name"] == "MPP Uji" and body["timezone"] == "Asia/Jakarta"


def test_the_contracts_example_keys_parse(tmp_path):
    example = TEST_SITE.replace('[display]', '''[complaints]
respond_within_days = 5    # working days of the site's calendar

[display]''').replace('target_wait_minutes = 15\n', '''target_wait_minutes = 15

[services.standard]        # Standar Pelayanan (PermenPANRB 15/2014), shown to visitors; each a string or a list
persyaratan = ["KTP-el pemohon", "NIB"]
prosedur = "..."
waktu = "5 hari kerja"
biaya = "Tidak dipungut biaya"
produk = "..."
pengaduan = "..."
dasar_hukum = ["..."]
sarana = "..."
kompetensi = "..."
pengawasan = "..."
jumlah_pelaksana = "..."
jaminan = "..."
keamanan = "..."
evaluasi = "..."
''', 1)
    raw = tomllib.loads(example)
    raw["site"]["maklumat"] = "Dengan ini, kami menyatakan sanggup menyelenggarakan pelayanan sesuai standar pelayanan ..."
    site = parse_site_config(raw, base_dir=tmp_path)
    assert site.complaints_respond_within_days == 5 and site.maklumat.startswith("Dengan ini")
    assert list(site.service("PERIZINAN").standard.values()) == [k for k, _ in REGULATION]


@pytest.mark.parametrize(("table", "message"), [
    ('persyaratan = []', "services[0].standard.persyaratan: must not be an empty list"),
    ('waktu = "  "', "services[0].standard.waktu: must not be empty"),
    ('biaya = 5', "services[0].standard.biaya: must be a text or a list of texts"),
    ('produk = ["NIB", ""]', "services[0].standard.produk: every line of the list must be a non-empty text"),
    ('harga = "Gratis"', "services[0].standard.harga: unknown key"),
])
def test_a_bad_standard_in_config_names_the_key(tmp_path, table, message):
    text = TEST_SITE.replace('target_wait_minutes = 15\n', f'target_wait_minutes = 15\n\n[services.standard]\n{table}\n', 1)
    with pytest.raises(ConfigError) as err:
        make_site(tmp_path, text)
    assert message in str(err.value)


def test_an_admin_replaces_a_standard_with_the_same_rules_and_an_audit_entry(app, client, admin, manager, clerk):
    for who, status in ((None, 401), (clerk, 403), (manager, 403)):
        assert client.put("/api/admin/services/NONIZIN/standard", json={"waktu": "1 hari"},
                          headers=who or {}).status_code == status
    bad = client.put("/api/admin/services/NONIZIN/standard", json={"waktu": "x" * 2001}, headers=admin)
    assert bad.status_code == 422
    wrong_type = client.put("/api/admin/services/NONIZIN/standard", json={"waktu": 5}, headers=admin)
    assert wrong_type.status_code == 422
    bad_line = client.put("/api/admin/services/NONIZIN/standard", json={"produk": ["a", 7]}, headers=admin)
    assert bad_line.status_code == 422
    done = client.put("/api/admin/services/NONIZIN/standard", headers=admin, json={
        "evaluasi": "Setiap bulan", "persyaratan": ["KTP-el", "  ", "KK"], "biaya": "", "waktu": "1 hari kerja"})
    assert done.status_code == 200, done.text
    assert done.json["source"] == "admin"
    public = client.get("/api/services/NONIZIN/standard").json["components"]
    assert [(c["key"], c["value"]) for c in public] == [
        ("persyaratan", ["KTP-el", "KK"]), ("waktu", "1 hari kerja"), ("evaluasi", "Setiap bulan")]
    # an admin's version of a service that has one in config.toml replaces it whole
    client.put("/api/admin/services/HALAL/standard", headers=admin, json={"biaya": "Rp 0"})
    assert [c["key"] for c in client.get("/api/services/HALAL/standard").json["components"]] == ["biaya"]
    back = client.delete("/api/admin/services/HALAL/standard", headers=admin)
    assert back.json["source"] == "config" and len(back.json["components"]) == 2
    assert client.delete("/api/admin/services/NONIZIN/standard", headers=admin).json["source"] == "none"
    assert client.get("/api/services/NONIZIN/standard").status_code == 404
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target.in_(["NONIZIN", "HALAL"]))
                                     .order_by(AuditEntry.id)).all()
    assert actions == ["standard_set", "standard_set", "standard_reset", "standard_reset"]


def test_the_admin_page_edits_a_standard_one_line_per_point(app, client, staff):
    staff.user("boss", "admin")
    login(client, "boss")
    page = client.get("/admin/standards/NONIZIN")
    assert page.status_code == 200 and page.text.count("<textarea") == 14
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = client.post("/admin/standards/NONIZIN", data={"csrf_token": token, "persyaratan": "KTP-el\r\n\r\nKK\r\n",
                                                          "waktu": "3 hari kerja"})
    assert saved.status_code == 302
    values = {c["key"]: c["value"] for c in client.get("/api/services/NONIZIN/standard").json["components"]}
    assert values == {"persyaratan": ["KTP-el", "KK"], "waktu": "3 hari kerja"}
    listing = client.get("/admin/standards").text
    assert 'data-service="NONIZIN"' in listing and "/pengaduan/poster" in listing and MAKLUMAT in listing


def _dts(html: str, section_id: str | None = None) -> list[str]:
    if section_id is not None:
        html = html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<dt data-key="([a-z_]+)"', html)


def test_visitors_see_the_six_delivery_components_and_staff_all_fourteen(app, client, staff):
    public = client.get("/layanan/PERIZINAN")
    assert public.status_code == 200
    assert _dts(public.text) == PUBLIC and "std-management" not in public.text
    assert client.get("/layanan/NONIZIN").status_code == 200  # no standard: said on the page
    assert client.get("/layanan/NOPE").status_code == 404
    listing = client.get("/layanan").text
    assert 'href="/layanan/PERIZINAN"' in listing and 'href="/layanan/HALAL"' in listing
    staff.user("siti", "clerk", ["L01"])
    login(client, "siti")
    full = client.get("/layanan/PERIZINAN").text
    assert _dts(full, "std-delivery") == PUBLIC and _dts(full, "std-management") == MANAGEMENT
    panel = client.get("/counter/L01").text
    assert 'href="/layanan/PERIZINAN"' in panel and 'href="/layanan/NONIZIN"' in panel


def test_the_kiosk_carries_only_the_public_components(client):
    page = client.get("/kiosk/K1").text
    block = re.search(r'<script type="application/json" id="kiosk-standards">(.*?)</script>', page, re.S).group(1)
    import json

    data = json.loads(block)
    assert set(data["services"]) == {"PERIZINAN", "HALAL"}
    assert [c["key"] for c in data["services"]["PERIZINAN"]] == PUBLIC
    assert [c["key"] for c in data["services"]["HALAL"]] == ["biaya"]
    assert data["names"]["waktu"] == {"id": "Jangka Waktu Pelayanan", "en": "Service time", "public": True}
    assert "standard.js" in page


def test_the_phone_and_booking_pages_show_the_public_components(app, client):
    ticket = take_ticket(client, "PERIZINAN").json
    phone = client.get(f"/t/{ticket['token']}").text
    assert _dts(phone) == PUBLIC and 'id="tk-complaint"' in phone and "complaint.js" in phone
    other = take_ticket(client, "NONIZIN").json
    assert "tk-standard" not in client.get(f"/t/{other['token']}").text
    booking = client.get("/booking").text
    assert 'class="bk-standard" data-service="PERIZINAN"' in booking and _dts(booking) == PUBLIC


def test_the_maklumat_is_on_the_start_page_the_displays_and_its_page(client):
    assert MAKLUMAT in client.get("/").text
    assert MAKLUMAT in client.get("/maklumat").text
    items = client.get("/display/media.json").json["items"]
    assert items == [{"kind": "notice", "name": "maklumat", "title": "Maklumat Pelayanan", "text": MAKLUMAT}]
    board = client.get("/display").text
    assert '"media": true' in board


def test_a_site_without_maklumat_or_media_has_no_media_loop(tmp_path):
    from ..helpers import built_app

    with built_app(make_site(tmp_path), tmp_path / "plain.db") as app:
        client = app.test_client()
        assert client.get("/display/media.json").json == {"items": []}
        assert '"media": false' in client.get("/display").text
        assert client.get("/api/site").json["maklumat"] == ""
        assert "pub-missing" in client.get("/maklumat").text


def test_the_displays_ikm_line_and_the_poster_link_their_pages_by_qr(app, client):
    from ..helpers import decode_svg_qr

    site = app.extensions["site"]
    app.extensions["site"] = site.model_copy(update={"display": site.display.model_copy(update={"show_ikm": True})})
    try:
        board = client.get("/display").get_data(as_text=True)
    finally:
        app.extensions["site"] = site
    assert '<img class="dsp-ikm-qr" id="dsp-ikm-qr" src="/ikm/qr.svg"' in board
    assert decode_svg_qr(client.get("/ikm/qr.svg").get_data(as_text=True)) == "http://mpp.test/ikm"
    poster = client.get("/pengaduan/poster").get_data(as_text=True)
    assert 'src="/pengaduan/qr.svg"' in poster and "http://mpp.test/pengaduan" in poster
    assert decode_svg_qr(client.get("/pengaduan/qr.svg").get_data(as_text=True)) == "http://mpp.test/pengaduan"
