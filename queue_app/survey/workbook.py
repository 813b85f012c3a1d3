"""The IKM report as the workbook an SKM team hands in (Excel, Bahasa Indonesia).

Sheets: "IKM" (NRR per element, weighted NRR, IKM, grade, respondents against the minimum sample),
"Data Responden" (one row per answer, with the sums, NRR and weighted NRR under each element),
"Profil Responden" and "Saran". The figures are those of ``GET /api/stats/ikm`` for the same range.

Every cell of text goes through :func:`queue_app.core.exports.spreadsheet_text` (a comment typed as
``=HYPERLINK(...)`` stays text), and no row names its ticket: a survey answer must not be linked to the
visit, and through it to a booking's name or phone (UU 27/2022).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from queue_app.core import workbook as sheets
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Service
from queue_app.core.site import current_site

from . import actions, report
from .operations import ikm, round2
from .questionnaire import UNSUR


def _scope_line(agency_id: int | None, service_id: int | None) -> str:
    if service_id is not None:
        s = db.session.get(Service, service_id)
        return f"Layanan: {s.name} ({s.agency.name})"
    if agency_id is not None:
        return f"Instansi: {db.session.get(Agency, agency_id).name}"
    return "Seluruh instansi"


def _r2(value: float | None) -> float | None:
    return None if value is None else float(round2(value))


def _ikm_sheet(ws: Worksheet, data: dict[str, Any], titles: list[str]) -> None:
    row = sheets.title(ws, titles, 6)
    sheets.header(ws, row, height=32, columns=[("No", 5), ("Unsur Pelayanan", 40), ("NRR per Unsur", 12), ("NRR Tertimbang", 12),
                      ("IKM Unsur", 11), ("Mutu", 8)])
    for i, u in enumerate(data["unsur"], start=1):
        sheets.row(ws, row + i, fmt="0.00", values=[i, f"{u['code']}. {u['name']}", _r2(u["nrr"]), u["nrr_weighted"], _r2(u["ikm"]),
                           u["grade"]])
        ws.cell(row=row + i, column=4).number_format = "0.000"
    row += len(data["unsur"]) + 1
    summary = [
        ("Jumlah NRR Tertimbang", data["nrr_weighted_total"], "0.000"),
        ("IKM Unit Pelayanan", _r2(data["ikm"]), "0.00"),
        ("Mutu Pelayanan", data["grade"] or "-", None),
        ("Kinerja Unit Pelayanan", data["grade_label"] or "-", None),
        ("Jumlah Responden", data["respondents"], None),
        ("Populasi (antrean selesai dilayani)", data["population"], None),
        ("Sampel Minimum (Krejcie-Morgan)", data["min_sample"], None),
    ]
    for label, value, fmt in summary:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        sheets.row(ws, row, [label, None, None, None, value], total=True, fmt=fmt or "General")
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="IKM = (Σ NRR per unsur ÷ 9) × 25. Mutu: A 88,31–100,00 Sangat Baik; "
            "B 76,61–88,30 Baik; C 65,00–76,60 Kurang Baik; D 25,00–64,99 Tidak Baik.")


def _answers_sheet(ws: Worksheet, rows: list[dict[str, Any]], data: dict[str, Any], titles: list[str]) -> None:
    cols = [("No", 5), ("Tanggal", 11), ("Layanan", 24), ("Loket", 10)]
    cols += [(u.code, 5) for u in UNSUR]
    cols += [("Jenis Kelamin", 9), ("Usia", 6), ("Pendidikan", 11), ("Pekerjaan", 14), ("Saran", 40)]
    row = sheets.title(ws, titles, len(cols))
    sheets.header(ws, row, height=32, columns=cols)
    for i, r in enumerate(rows, start=1):
        sheets.row(ws, row + i, [i, r["day"], r["service_name"], r["counter"], *r["answers"],
                           r["gender"], r["age"], r["education"], r["occupation"], r["comment"]])
    row += len(rows) + 1
    sums = [sum(r["answers"][k] for r in rows) for k in range(9)]
    lines = [("Jumlah Nilai per Unsur", sums, "0"),
             ("NRR per Unsur", [_r2(u["nrr"]) for u in data["unsur"]], "0.00"),
             ("NRR Tertimbang", [u["nrr_weighted"] for u in data["unsur"]], "0.000")]
    for label, values, fmt in lines:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        sheets.row(ws, row, [label, None, None, None, *values], total=True, fmt=fmt)
        row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    sheets.row(ws, row, ["IKM Unit Pelayanan", None, None, None, _r2(data["ikm"]), data["grade"]], total=True,
               fmt="0.00")


def _profile_sheet(ws: Worksheet, prof: dict[str, list[dict[str, Any]]], titles: list[str]) -> None:
    row = sheets.title(ws, titles, 3)
    headings = {"gender": "Jenis Kelamin", "age": "Usia", "education": "Pendidikan", "occupation": "Pekerjaan"}
    for key, heading in headings.items():
        sheets.header(ws, row, height=32, columns=[(heading, 28), ("Jumlah", 10), ("Persentase (%)", 14)])
        total = sum(x["count"] for x in prof[key]) or 1
        for i, x in enumerate(prof[key], start=1):
            sheets.row(ws, row + i, [x["label"], x["count"], round(100.0 * x["count"] / total, 1)], fmt="0.0")
        row += len(prof[key]) + 2


def _comments_sheet(ws: Worksheet, rows: list[dict[str, Any]], titles: list[str]) -> None:
    row = sheets.title(ws, titles, 4)
    sheets.header(ws, row, height=32, columns=[("No", 5), ("Tanggal", 11), ("Layanan", 28), ("Saran dan Masukan", 80)])
    for i, r in enumerate(rows, start=1):
        sheets.row(ws, row + i, [i, r["day"], r["service_name"], r["comment"]])
        ws.cell(row=row + i, column=4).alignment = Alignment(wrap_text=True, vertical="top")


ACTION_STATUS_ID = {"planned": "Direncanakan", "in_progress": "Dalam proses", "done": "Selesai"}


def _row_cell(ws: Worksheet, row: int, col: int, value: Any) -> None:
    cell = sheets.cell(ws, row, col, value)
    cell.border = sheets.BOX
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def actions_sheet(ws: Worksheet, plan: list[dict[str, Any]], lines: list[str]) -> None:
    """The follow-up actions (also a sheet of ``ikm.xlsx``)."""
    row = sheets.title(ws, lines, 9)
    sheets.header(ws, row, height=32, columns=[("No", 5), ("Periode", 9), ("Unsur", 26), ("Instansi", 12), ("Rencana Tindak Lanjut", 44),
                      ("Penanggung Jawab", 20), ("Batas Waktu", 12), ("Status", 13), ("Bukti", 30)])
    for i, a in enumerate(plan, start=1):
        values = [i, a["period"], f"{a['unsur']} {a['unsur_name']}", a["agency"] or "MPP", a["action"], a["owner"],
                  a["due"], ACTION_STATUS_ID[a["status"]], a["evidence"]]
        for col, value in enumerate(values, start=1):
            _row_cell(ws, row + i, col, value)
    if not plan:
        ws.cell(row=row + 1, column=1, value="Belum ada rencana tindak lanjut untuk periode ini.")


def ikm_workbook(first: date, last: date, *, agency_id: int | None = None, service_id: int | None = None) -> bytes:
    """The SKM/IKM report of local days first..last as .xlsx bytes."""
    data = ikm(first, last, agency_id=agency_id, service_id=service_id)
    rows = report.responses(first, last, agency_id=agency_id, service_id=service_id)
    titles = ["LAPORAN HASIL SURVEI KEPUASAN MASYARAKAT (SKM)", current_site().name.upper(),
              sheets.period_title(first, last), _scope_line(agency_id, service_id)]
    wb = Workbook()
    _ikm_sheet(wb.active, data, titles)
    wb.active.title = "IKM"
    _answers_sheet(wb.create_sheet("Data Responden"), rows, data, titles)
    _profile_sheet(wb.create_sheet("Profil Responden"),
                   report.profile(first, last, agency_id=agency_id, service_id=service_id), titles)
    _comments_sheet(wb.create_sheet("Saran"), [r for r in rows if r["comment"]], titles)
    plan = actions.list_actions(periods=actions.periods_of(first, last), agency_id=agency_id)
    actions_sheet(wb.create_sheet("Tindak Lanjut"), actions.actions_view(plan),
                  ["RENCANA TINDAK LANJUT HASIL SKM", *titles[1:]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
