"""The contract's "Service standards, maklumat, complaints, SKM follow-up" section against a real server
(``mpp-queue serve``, migrated from empty), once on SQLite and once on PostgreSQL.

Over plain HTTP, as an integration would use it: a standard and the maklumat, a complaint from a visit answered by
its agency's manager and followed by the visitor, the complaint figures, a follow-up action, and the published
results, with a name, a phone and a comment present and none of them in a public answer.
"""

from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa

from ..helpers import TEST_SITE
from ..livesite import LiveServer, issue

pytestmark = [pytest.mark.both_databases, pytest.mark.slow]

SITE = TEST_SITE.replace('[display]', '''[complaints]
respond_within_days = 5

[display]''').replace('target_wait_minutes = 15\n', '''target_wait_minutes = 15

[services.standard]
waktu = "5 hari kerja"
persyaratan = ["KTP-el pemohon", "NIB"]
biaya = "Tidak dipungut biaya"
dasar_hukum = ["PP No. 5 Tahun 2021"]
''', 1).replace('[site]\n', '''[site]
maklumat = "Dengan ini, kami menyatakan sanggup menyelenggarakan pelayanan sesuai standar pelayanan."
''', 1)


def _empty_postgres(url: str) -> None:
    """Start from an empty schema: the server migrates it (a stale alembic_version would skip that)."""
    import queue_app.factory  # noqa: F401  (registers every table)
    from queue_app.core.models import Base
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture
def live(tmp_path, db_kind, request):
    env = {}
    if db_kind == "postgres":
        url = request.getfixturevalue("pg_url")
        _empty_postgres(url)
        env["MPP_QUEUE_DATABASE_URL"] = url
    server = LiveServer(tmp_path / "site", config_text=SITE, env=env).start()
    yield server
    server.stop()


def test_the_contract_section_holds_against_a_real_server(live):
    url = live.url
    admin = live.token()

    def staff(username: str, role: str, agency: str | None = None, counters: list[str] | None = None) -> dict:
        body = {"username": username, "role": role, "password": "kata-sandi-1", "full_name": username,
                "agency": agency, "counters": counters or []}
        assert requests.post(f"{url}/api/admin/users", json=body, headers=admin, timeout=5).status_code == 201
        return live.token(username, "kata-sandi-1")

    # the standard: the regulation's order and names, absent components left out; none -> 404 no_standard
    standard = requests.get(f"{url}/api/services/PERIZINAN/standard", timeout=5).json()
    assert [(c["key"], c["name"]) for c in standard["components"]] == [
        ("persyaratan", "Persyaratan"), ("waktu", "Jangka Waktu Pelayanan"), ("biaya", "Biaya/Tarif"),
        ("dasar_hukum", "Dasar Hukum")]
    missing = requests.get(f"{url}/api/services/NONIZIN/standard", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_standard"
    assert requests.get(f"{url}/api/site", timeout=5).json()["maklumat"].startswith("Dengan ini")

    # a complaint from a visit's phone page, with contact details
    ticket = issue(live, "PERIZINAN")
    assert requests.post(f"{url}/api/complaints", json={"text": " "}, timeout=5).status_code == 422
    assert requests.post(f"{url}/api/complaints", json={"text": "x" * 4001}, timeout=5).status_code == 422
    sent = requests.post(f"{url}/api/complaints", timeout=5, json={
        "text": "Menunggu dua jam", "ticket": ticket["token"], "name": "Budi Santoso", "phone": "0812 3456 7890",
        "email": "budi@example.com"})
    assert sent.status_code == 201, sent.text
    created = sent.json()
    assert re.fullmatch(r"ADU-\d{4}-\d{4}", created["reference"]) and created["status"] == "received"
    assert len(created["token"]) >= 22 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", created["respond_by"])
    followed = requests.get(f"{url}/api/complaints/{created['token']}", timeout=5).json()
    assert {k: followed[k] for k in created if k != "track_url"} == {k: v for k, v in created.items()
                                                                     if k != "track_url"}
    assert followed["responses"] == [] and followed["agency"] == "DPMPTSP"

    # the inbox: the agency's manager sees it, another agency's does not, a clerk may not look
    dpm = staff("m-dpm", "manager", "DPMPTSP")
    kop = staff("m-kop", "manager", "DINKOPUKM")
    clerk = staff("c-l01", "clerk", counters=["L01"])
    inbox = requests.get(f"{url}/api/complaints?status=received&agency=DPMPTSP", headers=dpm, timeout=5).json()
    assert [(c["reference"], c["service"], c["agency"], c["status"], c["overdue"]) for c in inbox] == [
        (created["reference"], "PERIZINAN", "DPMPTSP", "received", False)]
    assert {"received_at", "respond_by"} <= set(inbox[0])
    assert requests.get(f"{url}/api/complaints", headers=kop, timeout=5).json() == []
    assert requests.get(f"{url}/api/complaints", headers=clerk, timeout=5).status_code == 403
    assert requests.get(f"{url}/api/complaints?overdue=true", headers=dpm, timeout=5).json() == []

    # answered, forwarded to SP4N-LAPOR!, resolved; the visitor sees each answer on the link
    refused = requests.post(f"{url}/api/complaints/{created['reference']}/responses", headers=kop, timeout=5,
                            json={"text": "Bukan kami"})
    assert refused.status_code == 403
    answer = requests.post(f"{url}/api/complaints/{created['reference']}/responses", headers=dpm, timeout=5,
                           json={"text": "Kami tambah petugas.", "status": "resolved", "lapor": "LAP-12345"})
    assert answer.status_code == 201, answer.text
    seen = requests.get(f"{url}/api/complaints/{created['token']}", timeout=5).json()
    assert seen["status"] == "resolved" and [r["text"] for r in seen["responses"]] == ["Kami tambah petugas."]
    page = requests.get(f"{url}/pengaduan/{created['token']}", timeout=5).text
    assert "Kami tambah petugas." in page and "LAP-12345" in page
    figures = requests.get(f"{url}/api/stats/complaints", headers=admin, timeout=5).json()
    assert (figures["received"], figures["resolved"], figures["resolved_on_time_pct"], figures["overdue"]) == (
        1, 1, 100.0, 0)
    assert figures["by_agency"] == [{"agency": "DPMPTSP", "received": 1, "resolved": 1, "overdue": 0}]

    # the visit finishes and its survey is answered with a comment naming someone
    called = requests.post(f"{url}/api/counters/L01/call-next", headers=clerk, json={}, timeout=5).json()
    assert called["ticket"]["number"] == ticket["number"]
    assert requests.post(f"{url}/api/counters/L01/finish", headers=clerk, json={}, timeout=5).status_code == 200
    assert requests.post(f"{url}/api/tickets/{ticket['token']}/survey", timeout=5, json={
        "answers": {f"U{i}": 3 for i in range(1, 10)}, "comment": "Budi Santoso 081234567890 kecewa"}
    ).status_code == 201

    # the follow-up: planned by the agency's manager, done with its evidence, listed
    month = requests.get(f"{url}/api/public/ikm", timeout=5).json()["periods"][0]["period"]
    action = requests.post(f"{url}/api/stats/ikm/actions", headers=dpm, timeout=5, json={
        "period": month, "unsur": "U3", "action": "Tambah loket jam sibuk", "owner": "Kabid Pelayanan Joko",
        "due": "2027-01-15"})
    assert action.status_code == 201, action.text
    assert action.json()["status"] == "planned" and isinstance(action.json()["id"], int)
    assert requests.patch(f"{url}/api/stats/ikm/actions/{action.json()['id']}", headers=kop, timeout=5,
                          json={"status": "done"}).status_code == 403
    moved = requests.patch(f"{url}/api/stats/ikm/actions/{action.json()['id']}", headers=dpm, timeout=5,
                           json={"status": "done", "evidence": "SK Kepala Dinas No. 7"})
    assert moved.status_code == 200 and moved.json()["status"] == "done"
    listed = requests.get(f"{url}/api/stats/ikm/actions?period={month}", headers=dpm, timeout=5).json()
    assert [a["id"] for a in listed] == [action.json()["id"]]
    assert requests.get(f"{url}/api/stats/ikm/actions?period={month}", headers=kop, timeout=5).json() == []

    # published: this month's IKM (3 everywhere: 75.00, C) and the action with its status; nothing personal
    published = requests.get(f"{url}/api/public/ikm", timeout=5)
    current, previous = published.json()["periods"]
    assert (current["ikm"], current["grade"], current["respondents"]) == (75.0, "C", 1)
    assert current["by_agency"][0]["agency"] == "DPMPTSP"
    assert current["actions"] == [{"unsur": "U3", "unsur_name": "Waktu Penyelesaian", "agency": "DPMPTSP",
                                   "action": "Tambah loket jam sibuk", "status": "done", "due": "2027-01-15"}]
    assert previous["respondents"] == 0 and previous["ikm"] is None
    public_page = requests.get(f"{url}/ikm", timeout=5).text
    for body in (published.text, public_page):
        for secret in ("Budi", "081234567890", "6281234567890", "budi@example.com", "kecewa", "Joko", "SK Kepala"):
            assert secret not in body, secret
    assert "Tambah loket jam sibuk" in public_page
    workbook = requests.get(f"{url}/api/stats/evaluation.xlsx", headers=dpm, timeout=10)
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
