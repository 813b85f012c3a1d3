"""The IKM report as the workbook an SKM team hands in (Excel, Bahasa Indonesia).

Sheets: "IKM" (NRR per element, weighted NRR, IKM, grade, respondents against the minimum sample),
"Data Responden" (one row per answer, with the sums, NRR and weighted NRR under each element),
"Profil Responden" and "Saran". The figures are those of ``GET /api/stats/ikm`` for the same range.

Every cell of text goes through :func:`queue_app.core.exports.spreadsheet_text` (a comment typed as
``=HYPERLINK(...)`` stays text), and no row names its ticket: a survey answer must not be linked to the
visit, and through it to a booking's name or phone (UU 27/2022).
"""

from __future__ import annotations

import calendar
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from queue_app.core.exports import spreadsheet_text
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Service
from queue_app.core.site import current_site

from . import report
from .operations import ikm, round2
from .questionnaire import UNSUR

MONTHS_ID = ("", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def period_title(first: date, last: date) -> str:
    """``BULAN NOVEMBER 2026`` for a whole month, else ``PERIODE 1 NOVEMBER 2026 S.D. 15 NOVEMBER 2026``."""
    def d(x: date) -> str:
        return f"{x.day} {MONTHS_ID[x.month]} {x.year}".upper()

    if first.day == 1 and (first.year, first.month) == (last.year, last.month) \
            and last.day == calendar.monthrange(last.year, last.month)[1]:
        return f"BULAN {MONTHS_ID[first.month].upper()} {first.year}"
    return f"TANGGAL {d(first)}" if first == last else f"PERIODE {d(first)} S.D. {d(last)}"


def _header(ws: Worksheet, row: int, columns: list[tuple[str, int]]) -> None:
    for i, (title, width) in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=i, value=spreadsheet_text(title))
        cell.font, cell.fill, cell.border, cell.alignment = BOLD, HEAD_FILL, BOX, CENTER
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[row].height = 32


def _row(ws: Worksheet, row: int, values: list[Any], *, total: bool = False, fmt: str = "0.00") -> None:
    for i, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=i, value=spreadsheet_text(value))
        cell.border = BOX
        if isinstance(value, float):
            cell.number_format = fmt
        if total:
            cell.font, cell.fill = BOLD, TOTAL_FILL


def _title(ws: Worksheet, lines: list[str], width: int) -> int:
    for r, text in enumerate(lines, start=1):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        cell = ws.cell(row=r, column=1, value=spreadsheet_text(text))
        cell.font = Font(bold=True, size=13 if r == 1 else 11)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    return len(lines) + 2


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
    row = _title(ws, titles, 6)
    _header(ws, row, [("No", 5), ("Unsur Pelayanan", 40), ("NRR per Unsur", 12), ("NRR Tertimbang", 12),
                      ("IKM Unsur", 11), ("Mutu", 8)])
    for i, u in enumerate(data["unsur"], start=1):
        _row(ws, row + i, [i, f"{u['code']}. {u['name']}", _r2(u["nrr"]), u["nrr_weighted"], _r2(u["ikm"]),
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
        _row(ws, row, [label, None, None, None, value], total=True, fmt=fmt or "General")
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="IKM = (Σ NRR per unsur ÷ 9) × 25. Mutu: A 88,31–100,00 Sangat Baik; "
            "B 76,61–88,30 Baik; C 65,00–76,60 Kurang Baik; D 25,00–64,99 Tidak Baik.")


def _answers_sheet(ws: Worksheet, rows: list[dict[str, Any]], data: dict[str, Any], titles: list[str]) -> None:
    cols = [("No", 5), ("Tanggal", 11), ("Layanan", 24), ("Loket", 10)]
    cols += [(u.code, 5) for u in UNSUR]
    cols += [("Jenis Kelamin", 9), ("Usia", 6), ("Pendidikan", 11), ("Pekerjaan", 14), ("Saran", 40)]
    row = _title(ws, titles, len(cols))
    _header(ws, row, cols)
    for i, r in enumerate(rows, start=1):
        _row(ws, row + i, [i, r["day"], r["service_name"], r["counter"], *r["answers"],
                           r["gender"], r["age"], r["education"], r["occupation"], r["comment"]])
    row += len(rows) + 1
    sums = [sum(r["answers"][k] for r in rows) for k in range(9)]
    lines = [("Jumlah Nilai per Unsur", sums, "0"),
             ("NRR per Unsur", [_r2(u["nrr"]) for u in data["unsur"]], "0.00"),
             ("NRR Tertimbang", [u["nrr_weighted"] for u in data["unsur"]], "0.000")]
    for label, values, fmt in lines:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        _row(ws, row, [label, None, None, None, *values], total=True, fmt=fmt)
        row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    _row(ws, row, ["IKM Unit Pelayanan", None, None, None, _r2(data["ikm"]), data["grade"]], total=True)


def _profile_sheet(ws: Worksheet, prof: dict[str, list[dict[str, Any]]], titles: list[str]) -> None:
    row = _title(ws, titles, 3)
    headings = {"gender": "Jenis Kelamin", "age": "Usia", "education": "Pendidikan", "occupation": "Pekerjaan"}
    for key, heading in headings.items():
        _header(ws, row, [(heading, 28), ("Jumlah", 10), ("Persentase (%)", 14)])
        total = sum(x["count"] for x in prof[key]) or 1
        for i, x in enumerate(prof[key], start=1):
            _row(ws, row + i, [x["label"], x["count"], round(100.0 * x["count"] / total, 1)], fmt="0.0")
        row += len(prof[key]) + 2


def _comments_sheet(ws: Worksheet, rows: list[dict[str, Any]], titles: list[str]) -> None:
    row = _title(ws, titles, 4)
    _header(ws, row, [("No", 5), ("Tanggal", 11), ("Layanan", 28), ("Saran dan Masukan", 80)])
    for i, r in enumerate(rows, start=1):
        _row(ws, row + i, [i, r["day"], r["service_name"], r["comment"]])
        ws.cell(row=row + i, column=4).alignment = Alignment(wrap_text=True, vertical="top")


def ikm_workbook(first: date, last: date, *, agency_id: int | None = None, service_id: int | None = None) -> bytes:
    """The SKM/IKM report of local days first..last as .xlsx bytes."""
    data = ikm(first, last, agency_id=agency_id, service_id=service_id)
    rows = report.responses(first, last, agency_id=agency_id, service_id=service_id)
    titles = ["LAPORAN HASIL SURVEI KEPUASAN MASYARAKAT (SKM)", current_site().name.upper(),
              period_title(first, last), _scope_line(agency_id, service_id)]
    wb = Workbook()
    _ikm_sheet(wb.active, data, titles)
    wb.active.title = "IKM"
    _answers_sheet(wb.create_sheet("Data Responden"), rows, data, titles)
    _profile_sheet(wb.create_sheet("Profil Responden"),
                   report.profile(first, last, agency_id=agency_id, service_id=service_id), titles)
    _comments_sheet(wb.create_sheet("Saran"), [r for r in rows if r["comment"]], titles)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
