"""The SKM follow-up (rencana tindak lanjut) and the published results, and the evaluation pack that gathers them.

Two months of answers are scripted (November: two respondents answering 4 everywhere; December: one at DPMPTSP
answering 3, one at DINKOPUKM answering 2), with comments, names and phones typed wherever a person may type them,
so the public endpoints can be shown to leak none of it. Every published figure is worked out in the comments.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.queue import operations

from ..helpers import login

pytestmark = pytest.mark.both_databases

JAKARTA = ZoneInfo("Asia/Jakarta")
NAME, PHONE, EMAIL = "Budi Santoso", "081234567890", "budi@example.com"
COMMENT = "Petugas Rina di loket 3 lambat, hubungi saya 081234567890"
OWNER = "Joko Susilo, Kabid Pelayanan"
EVIDENCE = "Nota dinas 12/2026 ditandatangani Rina (0812 9999 0000)"
SECRETS = (NAME, PHONE, "6281234567890", EMAIL, COMMENT, "Rina", "Joko", "Nota dinas", "0812 9999 0000")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """The clock stands still between travels, so every time below is exact to the second."""
    base = datetime(2026, 12, 1, tzinfo=JAKARTA)
    monkeypatch.setattr(clock, "utcnow", lambda: base + clock._offset)
    yield
    clock.reset()


def travel_to(year: int, month: int, day: int, hour: int = 10) -> None:
    clock.travel(datetime(year, month, day, hour, tzinfo=JAKARTA) - clock.utcnow())


def answered_visit(app, client, service: str, counter: str, score: int, **extra) -> None:
    """One visit issued, served to the end and its survey answered with ``score`` everywhere."""
    with app.app_context():
        ticket, _ = operations.issue_ticket(service)
        db.session.commit()
        operations.call_next(counter, actor=None)
        db.session.commit()
        operations.finish(counter, actor=None)
        db.session.commit()
        token = ticket.token
    body = {"answers": {f"U{i}": score for i in range(1, 10)}, **extra}
    assert client.post(f"/api/tickets/{token}/survey", json=body).status_code == 201


@pytest.fixture
def two_months(app, client, staff):
    """November: two answers of 4 at DPMPTSP; December (today is the 15th): a 3 at DPMPTSP and a 2 at DINKOPUKM,
    one with a comment naming people; a complaint with contact details; actions with owners and evidence."""
    travel_to(2026, 11, 20)
    answered_visit(app, client, "PERIZINAN", "L01", 4)
    answered_visit(app, client, "NONIZIN", "L02", 4)
    admin = staff.headers("admin1", "admin")
    planned = client.post("/api/stats/ikm/actions", headers=admin, json={
        "period": "2026-11", "unsur": "U8", "action": "Sosialisasi kanal pengaduan", "owner": OWNER,
        "due": "2026-12-31"})
    assert planned.status_code == 201, planned.text
    travel_to(2026, 12, 15)
    answered_visit(app, client, "PERIZINAN", "L01", 3, comment=COMMENT)
    answered_visit(app, client, "HALAL", "L03", 2, respondent={"gender": "P", "age": 40})
    assert client.post("/api/complaints", json={"text": "Antrean lama", "service": "PERIZINAN", "name": NAME,
                                                "phone": PHONE, "email": EMAIL}).status_code == 201
    manager = staff.headers("m-dpm", "manager", agency="DPMPTSP")
    done = client.post("/api/stats/ikm/actions", headers=manager, json={
        "period": "2026-12", "unsur": "U3", "action": "Tambah satu loket pada jam sibuk", "owner": OWNER,
        "due": "2027-01-15"})
    assert done.status_code == 201, done.text
    moved = client.patch(f"/api/stats/ikm/actions/{done.json['id']}", headers=manager,
                         json={"status": "done", "evidence": EVIDENCE})
    assert moved.status_code == 200, moved.text
    return {"november": planned.json, "december": moved.json}


def test_an_action_is_planned_moved_on_and_listed_as_the_contract_says(two_months, client, staff):
    action = two_months["december"]
    assert action["status"] == "done" and action["evidence"] == EVIDENCE
    assert action["period"] == "2026-12" and action["unsur"] == "U3" and action["agency"] == "DPMPTSP"
    assert action["unsur_name"] == "Waktu Penyelesaian" and action["due"] == "2027-01-15"
    assert action["done_at"] == "2026-12-15T10:00:00+07:00"
    admin = staff.headers("admin1", "admin")
    november = two_months["november"]
    assert november["status"] == "planned" and november["agency"] is None  # an admin's: the whole MPP's
    assert [a["id"] for a in client.get("/api/stats/ikm/actions", headers=admin).json] == [november["id"], action["id"]]
    assert [a["id"] for a in client.get("/api/stats/ikm/actions?period=2026-12", headers=admin).json] == [action["id"]]
    assert client.get("/api/stats/ikm/actions?period=2026-12&agency=DINKOPUKM", headers=admin).json == []
    started = client.patch(f"/api/stats/ikm/actions/{november['id']}", headers=admin, json={"status": "in_progress"})
    assert started.json["status"] == "in_progress" and started.json["evidence"] == ""


def test_a_manager_handles_only_their_agencys_actions(two_months, client, staff):
    kop = staff.headers("m-kop", "manager", agency="DINKOPUKM")
    dpm = staff.headers("m-dpm", "manager", agency="DPMPTSP")
    december, november = two_months["december"], two_months["november"]
    assert client.get("/api/stats/ikm/actions", headers=kop).json == []
    assert [a["id"] for a in client.get("/api/stats/ikm/actions", headers=dpm).json] == [december["id"]]
    assert client.get("/api/stats/ikm/actions?agency=DPMPTSP", headers=kop).status_code == 403
    assert client.patch(f"/api/stats/ikm/actions/{december['id']}", headers=kop,
                        json={"status": "in_progress"}).status_code == 403
    assert client.patch(f"/api/stats/ikm/actions/{november['id']}", headers=dpm,
                        json={"status": "in_progress"}).status_code == 403  # the whole MPP's: admins
    body = {"period": "2026-12", "unsur": "U9", "action": "Perbaiki toilet", "owner": "Kasubag Umum",
            "due": "2027-01-31"}
    assert client.post("/api/stats/ikm/actions", headers=kop, json={**body, "agency": "DPMPTSP"}).status_code == 403
    own = client.post("/api/stats/ikm/actions", headers=kop, json=body)
    assert own.status_code == 201 and own.json["agency"] == "DINKOPUKM"  # a scoped manager's own by default
    clerk = staff.headers("clerkx", "clerk", ["L01"])
    assert client.post("/api/stats/ikm/actions", headers=clerk, json=body).status_code == 403
    assert client.get("/api/stats/ikm/actions", headers=clerk).status_code == 403
    assert client.get("/api/stats/ikm/actions").status_code == 401


@pytest.mark.parametrize(("change", "status"), [
    ({"period": "2026-13"}, 422), ({"period": "Desember"}, 422), ({"unsur": "U10"}, 422), ({"unsur": 3}, 422),
    ({"action": ""}, 422), ({"action": "   "}, 422), ({"owner": "x" * 121}, 422), ({"due": "2026-02-30"}, 422),
    ({"due": None}, 422), ({"agency": "NOPE"}, 404),
])
def test_a_bad_action_is_refused_clearly(client, admin, change, status):
    body = {"period": "2026-12", "unsur": "U1", "action": "Sederhanakan persyaratan", "owner": "Kabid", "due": "2027-01-10",
            **change}
    resp = client.post("/api/stats/ikm/actions", headers=admin, json=body)
    assert resp.status_code == status, resp.text


def test_moving_an_action_checks_its_status(client, admin):
    created = client.post("/api/stats/ikm/actions", headers=admin, json={
        "period": "2026-12", "unsur": "U1", "action": "A", "owner": "B", "due": "2027-01-10"}).json
    for body in ({"status": "planned"}, {"status": "selesai"}, {}, {"status": "done", "evidence": "x" * 2001}):
        assert client.patch(f"/api/stats/ikm/actions/{created['id']}", headers=admin, json=body).status_code == 422
    assert client.patch("/api/stats/ikm/actions/99999", headers=admin, json={"status": "done"}).status_code == 404
    assert client.get("/api/stats/ikm/actions?period=12-2026", headers=admin).status_code == 422


def test_the_published_results_are_worked_out_by_hand_and_leak_nothing_personal(two_months, client):
    resp = client.get("/api/public/ikm")
    assert resp.status_code == 200
    december, november = resp.json["periods"]
    # December: DPMPTSP answered 3 everywhere (IKM 3 x 25 = 75.00, C 65.00-76.60), DINKOPUKM 2 (50.00, D);
    # the site: NRR (3 + 2) / 2 = 2.5 per element -> 2.5 x 25 = 62.50, D "Tidak Baik"
    assert december == {
        "period": "2026-12", "ikm": 62.5, "grade": "D", "grade_label": "Tidak Baik", "respondents": 2,
        "by_agency": [
            {"agency": "DINKOPUKM", "agency_name": "Dinas Koperasi dan UKM", "ikm": 50.0, "grade": "D", "respondents": 1},
            {"agency": "DPMPTSP", "agency_name": "Dinas Penanaman Modal dan PTSP", "ikm": 75.0, "grade": "C",
             "respondents": 1}],
        "actions": [{"unsur": "U3", "unsur_name": "Waktu Penyelesaian", "agency": "DPMPTSP",
                     "action": "Tambah satu loket pada jam sibuk", "status": "done", "due": "2027-01-15"}],
    }
    # November: two respondents answering 4 everywhere: 100.00, A
    assert (november["period"], november["ikm"], november["grade"], november["respondents"]) == ("2026-11", 100.0, "A", 2)
    assert november["actions"] == [{"unsur": "U8", "unsur_name": "Penanganan Pengaduan, Saran dan Masukan",
                                    "agency": None, "action": "Sosialisasi kanal pengaduan", "status": "planned",
                                    "due": "2026-12-31"}]
    for public in (resp.get_data(as_text=True), client.get("/ikm").get_data(as_text=True),
                   client.get("/ikm?lang=en").get_data(as_text=True), client.get("/api/site").get_data(as_text=True),
                   client.get("/layanan").get_data(as_text=True)):
        for secret in SECRETS:
            assert secret not in public, secret
    page = client.get("/ikm").get_data(as_text=True)
    assert "62,50" in page and "Tambah satu loket pada jam sibuk" in page and 'data-status="done"' in page
    assert client.get("/ikm/qr.svg").mimetype == "image/svg+xml"


def test_the_ikm_workbook_has_a_sheet_of_actions_and_no_formula(two_months, client, staff):
    admin = staff.headers("admin1", "admin")
    client.post("/api/stats/ikm/actions", headers=admin, json={
        "period": "2026-12", "unsur": "U4", "action": '=HYPERLINK("http://evil.example","klik")', "owner": "-Kabid",
        "due": "2027-01-10"})
    data = client.get("/api/stats/ikm.xlsx?month=2026-12", headers=admin).data
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[-1] == "Tindak Lanjut"
    rows = [r for r in wb["Tindak Lanjut"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [(r[1], r[2], r[3], r[5], r[7], r[8]) for r in rows] == [
        ("2026-12", "U3 Waktu Penyelesaian", "DPMPTSP", OWNER, "Selesai", EVIDENCE),
        ("2026-12", "U4 Biaya/Tarif", "MPP", "'-Kabid", "Direncanakan", None)]  # an empty cell
    cells = [c for ws in wb for r in ws.iter_rows() for c in r if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no cell may be a formula"
    # a scoped manager's workbook holds their agency's actions only
    kop = staff.headers("m-kop", "manager", agency="DINKOPUKM")
    mine = load_workbook(io.BytesIO(client.get("/api/stats/ikm.xlsx?month=2026-12", headers=kop).data))
    assert not [r for r in mine["Tindak Lanjut"].iter_rows(values_only=True) if isinstance(r[0], int)]


def test_the_evaluation_workbook_gathers_what_an_evaluation_asks(two_months, client, staff):
    admin = staff.headers("admin1", "admin")
    client.post("/api/complaints", json={"text": '=HYPERLINK("http://evil.example","klik")'})
    resp = client.get("/api/stats/evaluation.xlsx?month=2026-12", headers=admin)
    assert resp.status_code == 200 and "evaluasi-mpp-2026-12-01-2026-12-31.xlsx" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["Ringkasan", "IKM", "Tindak Lanjut SKM", "Pengaduan", "Standar Pelayanan",
                             "Tingkat Layanan"]
    summary = {r[1]: r[2] for r in wb["Ringkasan"].iter_rows(values_only=True) if r[1]}
    assert summary["Indeks Kepuasan Masyarakat (IKM)"] == 62.5
    assert summary["Mutu pelayanan"] == "D (Tidak Baik)"
    assert summary["Pengaduan diterima"] == 2 and summary["Diselesaikan"] == 0
    assert summary["Rencana tindak lanjut (selesai / seluruhnya)"] == "1 / 1"
    assert summary["Layanan dengan standar yang dipublikasikan"] == "0 / 3"
    assert summary["Jumlah antrean / dilayani"] == "2 / 2"
    cells = [c for ws in wb for r in ws.iter_rows() for c in r if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no cell may be a formula"
    texts = " ".join(str(c.value) for c in cells)
    for secret in (NAME, "6281234567890", EMAIL):  # the pack carries complaints, never who sent them
        assert secret not in texts
    scoped = staff.headers("m-kop", "manager", agency="DINKOPUKM")
    mine = load_workbook(io.BytesIO(client.get("/api/stats/evaluation.xlsx?month=2026-12", headers=scoped).data))
    assert "Instansi: Dinas Koperasi dan UKM" in [r[0] for r in mine["Ringkasan"].iter_rows(values_only=True)]
    assert client.get("/api/stats/evaluation.xlsx", headers=staff.headers("c", "clerk", ["L01"])).status_code == 403


def test_the_dashboard_shows_the_follow_up_beside_the_ikm_and_the_evaluation_page(two_months, app, client, staff):
    staff.user("kop", "manager", agency="DINKOPUKM")
    staff.user("dpm", "manager", agency="DPMPTSP")
    login(client, "dpm")
    ikm = client.get("/dashboard/ikm?month=2026-12").get_data(as_text=True)
    assert 'id="ikm-actions"' in ikm and "Tambah satu loket pada jam sibuk" in ikm and EVIDENCE in ikm
    assert 'id="ikm-weakest"' in ikm
    evaluation = client.get("/dashboard/evaluation?month=2026-12")
    assert evaluation.status_code == 200 and "Tambah satu loket" in evaluation.get_data(as_text=True)
    other = app.test_client()
    login(other, "kop")
    assert "Tambah satu loket" not in other.get("/dashboard/ikm?month=2026-12").get_data(as_text=True)
    assert "Tambah satu loket" not in other.get("/dashboard/evaluation?month=2026-12").get_data(as_text=True)
