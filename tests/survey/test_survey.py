"""The satisfaction survey (SKM, PermenPANRB 14/2017): answers once per visit, and the IKM worked out by hand.

Every expected figure below is computed in the test from the scripted answers, with the arithmetic written
out; nothing is taken from the code under test.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from queue_app.core import clock
from queue_app.core.extensions import db, socketio
from queue_app.core.site import today
from queue_app.queue import operations
from queue_app.survey import operations as survey
from queue_app.survey.models import SurveyResponse

pytestmark = pytest.mark.both_databases

CODES = [f"U{i}" for i in range(1, 10)]

# 20 respondents in four groups (answers U1..U9)
GROUPS = [
    (8, [4, 4, 3, 2, 4, 4, 4, 3, 3]),
    (6, [3, 3, 3, 3, 3, 4, 4, 2, 3]),
    (4, [4, 3, 3, 2, 3, 3, 4, 3, 3]),
    (2, [2, 3, 1, 4, 2, 3, 3, 1, 4]),
]
# sums per element, by hand (8·a + 6·b + 4·c + 2·d):
#   U1 32+18+16+4 = 70   U2 32+18+12+6 = 68   U3 24+18+12+2 = 56   U4 16+18+8+8 = 50   U5 32+18+12+4 = 66
#   U6 32+24+12+6 = 74   U7 32+24+16+6 = 78   U8 24+12+12+2 = 50   U9 24+18+12+8 = 62
# NRR = sum / 20
NRR = {"U1": 3.50, "U2": 3.40, "U3": 2.80, "U4": 2.50, "U5": 3.30, "U6": 3.70, "U7": 3.90, "U8": 2.50, "U9": 3.10}
# per element IKM = NRR × 25 and its grade
ELEMENT_IKM = {"U1": 87.5, "U2": 85.0, "U3": 70.0, "U4": 62.5, "U5": 82.5, "U6": 92.5, "U7": 97.5, "U8": 62.5,
               "U9": 77.5}
ELEMENT_GRADE = {"U1": "B", "U2": "B", "U3": "C", "U4": "D", "U5": "B", "U6": "A", "U7": "A", "U8": "D", "U9": "B"}
# Σ NRR = 3.5+3.4+2.8+2.5+3.3+3.7+3.9+2.5+3.1 = 28.7;  Σ NRR/9 = 3.18888…;  IKM = 28.7 / 9 × 25 = 717.5 / 9
NRR_WEIGHTED_TOTAL = 28.7 / 9
IKM = 79.72  # 79.7222… to two decimals → B (76.61–88.30) "Baik"
# 25 visits finished, 20 answered. Krejcie–Morgan: 3.841·25·0.25 / (0.0025·24 + 3.841·0.25)
#   = 24.00625 / (0.06 + 0.96025) = 24.00625 / 1.02025 = 23.53 → 24
POPULATION, MIN_SAMPLE = 25, 24


def finished_tickets(n: int, service: str = "PERIZINAN", counter: str = "L01") -> list[str]:
    """Issue ``n`` tickets and serve each to the end at ``counter``; their tokens."""
    tokens = []
    for _ in range(n):
        ticket, _ = operations.issue_ticket(service)
        db.session.commit()
        tokens.append(ticket.token)
        operations.call_next(counter, actor=None, finish_current=True)
        db.session.commit()
    operations.finish(counter, actor=None)
    db.session.commit()
    return tokens


def body(values: list[int], **extra) -> dict:
    return {"answers": dict(zip(CODES, values, strict=True)), **extra}


@pytest.fixture
def twenty(app, client):
    """25 finished visits of PERIZINAN, 20 of them answered as GROUPS says."""
    with app.app_context():
        tokens = finished_tickets(POPULATION)
        day = today()
    answers = [values for n, values in GROUPS for _ in range(n)]
    for i, (token, values) in enumerate(zip(tokens, answers, strict=False)):
        extra = {"respondent": {"gender": "LP"[i % 2], "age": 20 + i, "education": "SMA/SMK",
                                "occupation": "Swasta"}} if i < 10 else {}
        if i == 3:
            extra["comment"] = "Ruang tunggu kurang kursi"
        resp = client.post(f"/api/tickets/{token}/survey", json=body(values, **extra))
        assert resp.status_code == 201, resp.text
        assert resp.json["ok"] is True
    return day, tokens


def test_twenty_answers_give_the_hand_computed_ikm(twenty, client, manager):
    day, _ = twenty
    r = client.get(f"/api/stats/ikm?from={day}&to={day}", headers=manager)
    assert r.status_code == 200, r.text
    ikm = r.json
    assert ikm["from"] == ikm["to"] == day.isoformat()
    assert ikm["respondents"] == 20
    assert ikm["population"] == POPULATION and ikm["min_sample"] == MIN_SAMPLE
    assert [u["code"] for u in ikm["unsur"]] == CODES
    assert ikm["unsur"][2]["name"] == "Waktu Penyelesaian"
    for u in ikm["unsur"]:
        assert u["nrr"] == pytest.approx(NRR[u["code"]], abs=1e-9)
        assert u["nrr_weighted"] == pytest.approx(NRR[u["code"]] / 9, abs=1e-9)
        assert u["ikm"] == pytest.approx(ELEMENT_IKM[u["code"]], abs=1e-9)
        assert u["grade"] == ELEMENT_GRADE[u["code"]]
    assert ikm["nrr_weighted_total"] == pytest.approx(NRR_WEIGHTED_TOTAL, abs=1e-9)
    assert round(ikm["ikm"], 2) == IKM and abs(ikm["ikm"] - IKM) < 0.01
    assert (ikm["grade"], ikm["grade_label"]) == ("B", "Baik")


def test_the_workbook_holds_the_same_figure(twenty, client, manager):
    day, _ = twenty
    r = client.get(f"/api/stats/ikm.xlsx?from={day}&to={day}", headers=manager)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["IKM", "Data Responden", "Profil Responden", "Saran", "Tindak Lanjut"]
    cells = {row[0]: row[4] for row in wb["IKM"].iter_rows(values_only=True) if isinstance(row[0], str)}
    assert cells["IKM Unit Pelayanan"] == IKM
    assert cells["Mutu Pelayanan"] == "B" and cells["Kinerja Unit Pelayanan"] == "Baik"
    assert cells["Jumlah Responden"] == 20 and cells["Sampel Minimum (Krejcie-Morgan)"] == MIN_SAMPLE
    answers = [row for row in wb["Data Responden"].iter_rows(values_only=True) if isinstance(row[0], int)]
    assert len(answers) == 20 and list(answers[0][4:13]) == GROUPS[0][1]
    sums = next(row for row in wb["Data Responden"].iter_rows(values_only=True) if row[0] == "Jumlah Nilai per Unsur")
    assert list(sums[4:13]) == [70, 68, 56, 50, 66, 74, 78, 50, 62]
    comments = [row[3] for row in wb["Saran"].iter_rows(values_only=True) if isinstance(row[0], int)]
    assert comments == ["Ruang tunggu kurang kursi"]
    profile = {row[0]: row[1] for row in wb["Profil Responden"].iter_rows(values_only=True) if row[0]}
    assert profile["Laki-laki"] == 5 and profile["Perempuan"] == 5 and profile["Tidak diisi"] >= 10


def test_no_respondents_gives_null_ikm(app, client, admin):
    with app.app_context():
        finished_tickets(2)
    ikm = client.get("/api/stats/ikm", headers=admin).json
    assert ikm["respondents"] == 0 and ikm["population"] == 2
    # 3.841·2·0.25 / (0.0025·1 + 0.96025) = 1.9205 / 0.96275 = 1.995 → 2
    assert ikm["min_sample"] == 2
    assert ikm["ikm"] is None and ikm["grade"] is None and ikm["grade_label"] is None
    assert all(u["nrr"] is None for u in ikm["unsur"])


@pytest.mark.parametrize(("value", "expected"), [
    (88.30, "B"), (88.31, "A"), (65.00, "C"), (64.99, "D"), (76.60, "C"), (76.61, "B"), (100.0, "A"),
    (25.0, "D"), (88.305, "A"), (88.3049, "B"), (64.995, "C"), (64.9949, "D"),
])
def test_grade_boundaries_round_to_two_decimals(value, expected):
    assert survey.grade(value)[0] == expected


def test_grade_labels_and_exact_rounding():
    assert survey.grade(90.0) == ("A", "Sangat Baik")
    assert survey.grade(80.0) == ("B", "Baik")
    assert survey.grade(70.0) == ("C", "Kurang Baik")
    assert survey.grade(50.0) == ("D", "Tidak Baik")
    assert survey.round2(88.305) == Decimal("88.31")  # as written, not the binary float below it


@pytest.mark.parametrize(("population", "expected"), [
    (0, 0), (1, 1), (10, 10), (100, 80), (1000, 278), (10000, 370),  # Krejcie & Morgan's (1970) table
])
def test_min_sample_is_krejcie_morgan(population, expected):
    assert survey.min_sample(population) == expected


def test_questionnaire_has_the_nine_elements_with_their_labels(client):
    q = client.get("/api/survey").json["unsur"]
    assert [u["code"] for u in q] == CODES
    assert [o["label"] for o in q[2]["options"]] == ["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"]
    assert [o["label"] for o in q[3]["options"]] == ["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    assert [o["value"] for o in q[0]["options"]] == [1, 2, 3, 4]
    en = client.get("/api/survey?lang=en").json["unsur"]
    assert en[2]["name"] == "Completion time" and en[3]["options"][3]["label"] == "Free"


def test_a_site_may_reword_a_question(tmp_path, db_url):
    from ..helpers import TEST_SITE, built_app, make_site

    site = make_site(tmp_path, TEST_SITE + '\n[survey]\nquestions = {U3 = "Apakah layanan kami cepat?"}\n')
    with built_app(site, db_url) as app:
        q = app.test_client().get("/api/survey").json["unsur"]
        assert q[2]["question"] == "Apakah layanan kami cepat?" and q[2]["code"] == "U3"
        assert len(q) == 9


def test_refusals(app, client):
    with app.app_context():
        done = finished_tickets(1)[0]
        waiting, _ = operations.issue_ticket("PERIZINAN")
        db.session.commit()
        waiting = waiting.token
    ok = body([3] * 9)
    assert client.post("/api/tickets/no-such-token/survey", json=ok).status_code == 404
    r = client.post(f"/api/tickets/{waiting}/survey", json=ok)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_finished"
    assert client.get(f"/api/tickets/{waiting}/survey").json["state"] == "not_finished"
    for bad in (body([3] * 8 + [5]), body([3] * 8 + [0]), {"answers": {c: 3 for c in CODES[:8]}},
                body([3] * 8 + [True]), body([3] * 8 + ["4"]), {}, body([3] * 9, respondent={"gender": "X"}),
                body([3] * 9, respondent={"age": 7}), body([3] * 9, comment="x" * 2001)):
        r = client.post(f"/api/tickets/{done}/survey", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json["error"]["code"] == "validation_failed"
    assert client.get(f"/api/tickets/{done}/survey").json["state"] == "open"
    assert client.post(f"/api/tickets/{done}/survey", json=ok).status_code == 201
    r = client.post(f"/api/tickets/{done}/survey", json=ok)
    assert r.status_code == 409 and r.json["error"]["code"] == "survey_exists"
    assert client.get(f"/api/tickets/{done}/survey").json["state"] == "answered"


def test_survey_closes_after_days_open(app, client):
    with app.app_context():
        token = finished_tickets(1)[0]
    clock.travel(timedelta(days=6, hours=23))
    assert client.get(f"/api/tickets/{token}/survey").json["state"] == "open"
    clock.travel(timedelta(hours=2))  # 7 days and 1 hour after finishing
    r = client.post(f"/api/tickets/{token}/survey", json=body([4] * 9))
    assert r.status_code == 409 and r.json["error"]["code"] == "survey_closed"


def test_two_concurrent_answers_give_one_201_and_one_409(app):
    with app.app_context():
        tokens = finished_tickets(4)
    for token in tokens:
        barrier, results = threading.Barrier(2), []

        def answer(values, token=token, barrier=barrier, results=results):
            c = app.test_client()
            barrier.wait()
            r = c.post(f"/api/tickets/{token}/survey", json=body(values))
            results.append((r.status_code, (r.json.get("error") or {}).get("code")))

        threads = [threading.Thread(target=answer, args=([v] * 9,)) for v in (2, 4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == [(201, None), (409, "survey_exists")]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 4


def test_the_unique_index_decides_when_both_checks_passed(app, client, monkeypatch):
    """The race's worst case, made deterministic: the second answer's existence check saw nothing."""
    with app.app_context():
        token = finished_tickets(1)[0]
    assert client.post(f"/api/tickets/{token}/survey", json=body([4] * 9)).status_code == 201
    monkeypatch.setattr(survey, "survey_state", lambda ticket: "open")
    r = client.post(f"/api/tickets/{token}/survey", json=body([1] * 9))
    assert r.status_code == 409 and r.json["error"]["code"] == "survey_exists"
    with app.app_context():
        assert db.session.scalars(sa.select(SurveyResponse.u1)).all() == [4]


def test_counted_under_the_service_it_ended_in_and_scoped_manager(app, client, staff, admin):
    with app.app_context():
        perizinan = finished_tickets(3)  # DPMPTSP
        halal = finished_tickets(2, service="HALAL", counter="L03")  # DINKOPUKM
    for token in perizinan:
        client.post(f"/api/tickets/{token}/survey", json=body([4] * 9))
    for token in halal:
        client.post(f"/api/tickets/{token}/survey", json=body([2] * 9))
    boss = staff.headers("halal-boss", "manager", agency="DINKOPUKM")
    mine = client.get("/api/stats/ikm", headers=boss).json
    # two answers of 2 everywhere: NRR 2, Σ NRR = 18, IKM = 18 / 9 × 25 = 50 → D
    assert mine["respondents"] == 2 and mine["population"] == 2 and mine["ikm"] == pytest.approx(50.0)
    assert mine["grade"] == "D"
    assert client.get("/api/stats/ikm?agency=DPMPTSP", headers=boss).status_code == 403
    assert client.get("/api/stats/ikm?service=PERIZINAN", headers=boss).status_code == 403
    assert client.get("/api/stats/ikm.xlsx?agency=DPMPTSP", headers=boss).status_code == 403
    everything = client.get("/api/stats/ikm", headers=admin).json
    # 3 answers of 4 and 2 of 2: NRR = (12 + 4) / 5 = 3.2 per element, IKM = 3.2 × 25 = 80 → B
    assert everything["respondents"] == 5 and everything["ikm"] == pytest.approx(80.0)
    only = client.get("/api/stats/ikm?service=PERIZINAN", headers=admin).json
    assert only["respondents"] == 3 and only["ikm"] == pytest.approx(100.0) and only["grade"] == "A"
    assert client.get("/api/stats/ikm?service=NOPE", headers=admin).status_code == 404


def test_clerks_and_anonymous_may_not_read_the_ikm(app, client, clerk, staff):
    from ..helpers import login

    assert client.get("/api/stats/ikm").status_code == 401
    assert client.get("/api/stats/ikm", headers=clerk).status_code == 403
    assert client.get("/api/stats/ikm.xlsx", headers=clerk).status_code == 403
    assert client.get("/dashboard/ikm").status_code == 302  # to the login form
    staff.user("clerk2", "clerk", ["L01"])
    login(client, "clerk2")  # the answers (and their comments) are never shown to a clerk
    assert client.get("/dashboard/ikm").status_code == 403


def test_the_counter_tablet_is_offered_the_finished_visit(app, client, staff):
    from queue_app.staff.devices import create_key

    with app.app_context():
        key, other_key = create_key("survey", "L01"), create_key("survey", "L03")
        db.session.commit()
    clerk = staff.headers("clerk-l01", "clerk", ["L01"])
    tablet = socketio.test_client(app, namespace="/survey", auth={"counter": "L01", "key": key})
    assert tablet.is_connected("/survey")
    for auth in ({"counter": "L01", "key": other_key}, {"counter": "L01", "token": clerk["Authorization"][7:]}):
        refused = socketio.test_client(app, namespace="/survey", auth=auth)
        assert not refused.is_connected("/survey")
    with app.app_context():
        ticket, _ = operations.issue_ticket("PERIZINAN")
        db.session.commit()
        token, number = ticket.token, ticket.number
        operations.call_next("L01", actor=None)
        db.session.commit()
        operations.finish("L01", actor=None)
        db.session.commit()
    offers = [e["args"][0] for e in tablet.get_received("/survey") if e["name"] == "survey_offer"]
    assert len(offers) == 1 and offers[0]["number"] == number
    assert token not in str(offers[0])  # a tablet never holds the visitor's token
    answer = {**body([3] * 9), "offer": offers[0]["offer"]}
    assert client.post("/api/survey/tablet/L01", json=answer, headers={"X-Survey-Key": other_key}).status_code == 401
    assert client.post("/api/survey/tablet/L01", json=answer, headers=clerk).status_code == 401  # a person is no tablet
    forged = client.post("/api/survey/tablet/L01", json={**answer, "offer": "forged"}, headers={"X-Survey-Key": key})
    assert forged.status_code == 404 and forged.json["error"]["code"] == "offer_not_found"
    # an offer made at another counter is no good there either
    elsewhere = client.post("/api/survey/tablet/L03", json=answer, headers={"X-Survey-Key": other_key})
    assert elsewhere.status_code == 404
    r = client.post("/api/survey/tablet/L01", json=answer, headers={"X-Survey-Key": key})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/tickets/{token}/survey", json=body([1] * 9))
    assert r.status_code == 409 and r.json["error"]["code"] == "survey_exists"
    tablet.disconnect("/survey")


def test_config_rewording_only_takes_the_nine_elements(tmp_path):
    from queue_app.core.siteconfig import ConfigError

    from ..helpers import TEST_SITE, make_site

    with pytest.raises(ConfigError, match=r'survey\.questions: unknown element "U10"'):
        make_site(tmp_path, TEST_SITE + '\n[survey]\nquestions = {U10 = "Tambahan?"}\n')
    with pytest.raises(ConfigError, match=r"survey\.questions: U2 must be a non-empty question text"):
        make_site(tmp_path, TEST_SITE + '\n[survey]\nquestions = {U2 = " "}\n')


def test_every_text_the_survey_module_asks_for_exists():
    """survey.js reads the ``survey`` catalog through st("key") / st(`prefix_${...}`), not the page's t()."""
    import re
    from pathlib import Path

    from queue_app.core import i18n

    src = (Path(__file__).resolve().parents[2] / "visitor" / "static" / "survey.js").read_text()
    known = set(i18n.catalog("id", "survey"))
    assert set(i18n.catalog("en", "survey")) == known
    used = set(re.findall(r"""\bst\(\s*["']([a-z_]+)["']""", src))
    prefixes = set(re.findall(r"""\bst\(\s*`([a-z_]+)\$\{""", src))
    used |= set(re.findall(r"""\btexts\.([a-z_]+)\b""", src)) - {"id", "en"}  # texts.id: the catalog itself
    assert {"title", "start", "send", "thanks_title"} <= used and prefixes == {"gender_", "occupation_"}
    assert used - known == set()
    assert all(any(k.startswith(p) for k in known) for p in prefixes)


def test_dashboard_card_and_ikm_page_show_the_scoped_figures(app, client, staff):
    from ..helpers import login

    with app.app_context():
        perizinan = finished_tickets(2)
        halal = finished_tickets(2, service="HALAL", counter="L03")
    for token in perizinan:
        client.post(f"/api/tickets/{token}/survey", json=body([4] * 9, comment="Ruang nyaman"))
    for i, token in enumerate(halal):
        # answers 3 and 2 everywhere: NRR = 2.5, IKM = 2.5 × 25 = 62.5 → D
        client.post(f"/api/tickets/{token}/survey", json=body([3 - i] * 9, comment="Antrean halal lama"))
    staff.user("halal-boss", "manager", agency="DINKOPUKM")
    login(client, "halal-boss")
    card = client.get("/dashboard/").get_data(True)
    assert 'id="ikm-card"' in card and ">62,50<" in card and "100,00" not in card
    page = client.get("/dashboard/ikm")
    assert page.status_code == 200
    html = page.get_data(True)
    assert 'id="ikm-value">62,50<' in html and "Tidak Baik" in html
    assert "Antrean halal lama" in html and "Ruang nyaman" not in html  # another agency's comments stay there
    assert "Waktu Penyelesaian" in html and "/api/stats/ikm.xlsx?" in html
    assert client.get("/dashboard/ikm?agency=DPMPTSP").status_code == 403
    staff.user("boss", "admin")
    login(client, "boss")
    html = client.get("/dashboard/ikm").get_data(True)
    # everyone: answers 4, 4, 3, 2 → NRR = 13 / 4 = 3.25, IKM = 81.25 → B
    assert 'id="ikm-value">81,25<' in html and "Ruang nyaman" in html
    # one number format per language: the English page writes a decimal point, like the live dashboard
    assert 'id="ikm-value">81.25<' in client.get("/dashboard/ikm?lang=en").get_data(True)


def test_the_hall_display_shows_this_months_ikm_when_switched_on(tmp_path, db_url):
    from ..helpers import TEST_SITE, built_app, make_site

    off = make_site(tmp_path)
    with built_app(off, db_url) as app:
        c = app.test_client()
        assert "dsp-ikm" not in c.get("/display").get_data(True)
        assert c.get("/api/survey/published").status_code == 404
    site = make_site(tmp_path, TEST_SITE.replace("[display]\n", "[display]\nshow_ikm = true\n"))
    with built_app(site, db_url) as app:
        c = app.test_client()
        with app.app_context():
            tokens = finished_tickets(2)
        # answers 4 and 3 everywhere: NRR 3.5, IKM = 3.5 × 25 = 87.5 → B
        for token, v in zip(tokens, (4, 3), strict=True):
            assert c.post(f"/api/tickets/{token}/survey", json=body([v] * 9)).status_code == 201
        html = c.get("/display").get_data(True)
        assert 'id="dsp-ikm-value">87,50<' in html and "B · Baik" in html
        pub = c.get("/api/survey/published").json
        assert pub["ikm_rounded"] == 87.5 and pub["grade"] == "B" and pub["respondents"] == 2
