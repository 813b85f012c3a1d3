"""The evaluation pack as a workbook (Excel, Bahasa Indonesia), headed for the MPP's evaluation.

Sheets: "Ringkasan" (the figures an evaluator asks first), "IKM" (the nine elements), "Tindak Lanjut SKM",
"Pengaduan" (per agency, then each complaint: no name, phone or email), "Standar Pelayanan" (every service's
components) and "Tingkat Layanan" (the service levels per service). Typed text goes through
:func:`queue_app.core.exports.spreadsheet_text`, so nothing a person typed runs as a formula.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from queue_app.core import workbook as sheets
from queue_app.survey.workbook import actions_sheet

from .pack import pack

WRAP = Alignment(wrap_text=True, vertical="top")
STATUS_ID = {"received": "Diterima", "in_progress": "Dalam proses", "resolved": "Selesai"}
SOURCE_ID = {"admin": "Diubah admin", "config": "Berkas konfigurasi", "none": "Belum ada"}


def _cell(ws: Worksheet, row: int, col: int, value: Any, *, bold: bool = False, fmt: str | None = None) -> None:
    cell = sheets.cell(ws, row, col, value)
    cell.border = sheets.BOX
    cell.alignment = WRAP
    if bold:
        cell.font = sheets.BOLD
    if fmt and isinstance(value, float | int) and not isinstance(value, bool):
        cell.number_format = fmt


def _r2(value: float | None) -> float | None:
    from queue_app.survey.operations import round2

    return None if value is None else float(round2(value))


def _minutes(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def _value(value: Any) -> str:
    return "\n".join(f"• {v}" for v in value) if isinstance(value, list) else str(value)


def titles(data: dict[str, Any]) -> list[str]:
    scope = data["scope"]
    return ["BAHAN EVALUASI PENYELENGGARAAN MAL PELAYANAN PUBLIK", data["site"].upper(),
            sheets.period_title(data["first"], data["last"]),
            f"Instansi: {scope['name']}" if scope else "Seluruh instansi"]


def _summary(ws: Worksheet, data: dict[str, Any]) -> None:
    row = sheets.title(ws, titles(data), 3)
    sheets.header(ws, row, height=32, columns=[("Aspek", 34), ("Uraian", 60), ("Nilai", 16)])
    ikm, c, std, lv = data["ikm"], data["complaints"], data["standards"], data["service_levels"]["total"]
    lines: list[tuple[str, str, Any]] = [
        ("Survei Kepuasan Masyarakat", "Indeks Kepuasan Masyarakat (IKM)", _r2(ikm["ikm"])),
        ("", "Mutu pelayanan", f"{ikm['grade']} ({ikm['grade_label']})" if ikm["grade"] else "-"),
        ("", "Jumlah responden / sampel minimum", f"{ikm['respondents']} / {ikm['min_sample']}"),
        ("", "Unsur terendah", ", ".join(f"{u['code']} {u['name']}" for u in data["weakest"]) or "-"),
        ("Tindak lanjut hasil SKM", "Rencana tindak lanjut (selesai / seluruhnya)",
         f"{data['actions_done']} / {len(data['actions'])}"),
        ("Pengaduan", "Pengaduan diterima", c["received"]),
        ("", "Diselesaikan", c["resolved"]),
        ("", "Diselesaikan tepat waktu (%)", c["resolved_on_time_pct"]),
        ("", "Dijawab pertama kali tepat waktu (%)", c["answered_on_time_pct"]),
        ("", "Melewati batas waktu dan belum selesai", c["overdue"]),
        ("Standar pelayanan", "Layanan dengan standar yang dipublikasikan", f"{std['published']} / {std['total']}"),
        ("", "Layanan dengan enam komponen penyampaian lengkap", f"{std['complete_public']} / {std['total']}"),
        ("Maklumat pelayanan", "Dipublikasikan (halaman awal, layar ruang tunggu, /maklumat)",
         "Ya" if data["maklumat"] else "Belum"),
        ("Tingkat layanan", "Jumlah antrean / dilayani", f"{lv['issued']} / {lv['served']}"),
        ("", "Rata-rata waktu tunggu (menit)", _minutes(lv["avg_wait_seconds"])),
        ("", "Waktu tunggu sesuai target (%)", lv["within_target_pct"]),
    ]
    for i, (aspect, label, value) in enumerate(lines, start=1):
        _cell(ws, row + i, 1, aspect, bold=True)
        _cell(ws, row + i, 2, label)
        _cell(ws, row + i, 3, value if value is not None else "-", fmt="0.00" if isinstance(value, float) else None)
    row += len(lines) + 2
    if data["maklumat"]:
        ws.cell(row=row, column=1, value="Maklumat Pelayanan").font = sheets.BOLD
        ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=3)
        cell = sheets.cell(ws, row + 1, 1, data["maklumat"])
        cell.alignment = WRAP
        ws.row_dimensions[row + 1].height = 120


def _ikm(ws: Worksheet, data: dict[str, Any]) -> None:
    row = sheets.title(ws, titles(data), 5)
    sheets.header(ws, row, height=32, columns=[("Unsur", 8), ("Nama Unsur", 40), ("NRR", 10), ("IKM Unsur", 11), ("Mutu", 8)])
    for i, u in enumerate(data["ikm"]["unsur"], start=1):
        for col, value in enumerate([u["code"], u["name"], _r2(u["nrr"]), _r2(u["ikm"]), u["grade"] or "-"], 1):
            _cell(ws, row + i, col, value, fmt="0.00")
    row += len(data["ikm"]["unsur"]) + 2
    sheets.header(ws, row, height=32, columns=[("Instansi", 8), ("Nama Instansi", 40), ("Responden", 10), ("IKM", 11), ("Mutu", 8)])
    for i, a in enumerate(data["ikm_by_agency"], start=1):
        for col, value in enumerate([a["code"], a["name"], a["respondents"], _r2(a["ikm"]), a["grade"] or "-"], 1):
            _cell(ws, row + i, col, value, fmt="0.00")


def _complaints(ws: Worksheet, data: dict[str, Any]) -> None:
    row = sheets.title(ws, titles(data), 10)
    sheets.header(ws, row, height=32, columns=[("Instansi", 14), ("Diterima", 10), ("Selesai", 10), ("Terlambat", 10)])
    for i, a in enumerate(data["complaints"]["by_agency"], start=1):
        for col, value in enumerate([a["agency"] or "MPP", a["received"], a["resolved"], a["overdue"]], start=1):
            _cell(ws, row + i, col, value)
    row += len(data["complaints"]["by_agency"]) + 2
    sheets.header(ws, row, height=32, columns=[("Nomor", 16), ("Diterima", 12), ("Instansi", 14), ("Layanan", 16), ("Status", 13),
                      ("Batas Waktu", 12), ("Dijawab", 12), ("Selesai", 12), ("Tepat Waktu", 11),
                      ("No. SP4N-LAPOR!", 16)])
    ws.column_dimensions["K"].width = 60
    ws.cell(row=row, column=11, value="Isi Pengaduan").font = sheets.BOLD
    for i, r in enumerate(data["complaint_rows"], start=1):
        on_time = "-" if r["on_time"] is None else ("Ya" if r["on_time"] else "Tidak")
        values = [r["reference"], r["received_day"].isoformat(), r["agency"] or "MPP", r["service"] or "-",
                  STATUS_ID[r["status"]], r["respond_by"],
                  r["first_response_day"].isoformat() if r["first_response_day"] else "-",
                  r["resolved_day"].isoformat() if r["resolved_day"] else "-", on_time, r["lapor"] or "-", r["text"]]
        for col, value in enumerate(values, start=1):
            _cell(ws, row + i, col, value)


def _standards(ws: Worksheet, data: dict[str, Any]) -> None:
    row = sheets.title(ws, titles(data), 5)
    sheets.header(ws, row, height=32, columns=[("Layanan", 28), ("Instansi", 12), ("Sumber", 16), ("Komponen", 34), ("Uraian", 70)])
    for s in data["standards"]["services"]:
        if not s["components"]:
            row += 1
            for col, value in enumerate([s["name"], s["agency"], SOURCE_ID[s["source"]], "-",
                                         "Belum ada standar pelayanan"], start=1):
                _cell(ws, row, col, value)
        for c in s["components"]:
            row += 1
            for col, value in enumerate([s["name"], s["agency"], SOURCE_ID[s["source"]], c["name"],
                                         _value(c["value"])], start=1):
                _cell(ws, row, col, value)


def _levels(ws: Worksheet, data: dict[str, Any]) -> None:
    row = sheets.title(ws, titles(data), 9)
    sheets.header(ws, row, height=32, columns=[("Layanan", 30), ("Instansi", 12), ("Antrean", 9), ("Dilayani", 9), ("Tidak Hadir", 9),
                      ("Rata-rata Tunggu (menit)", 12), ("Tunggu P90 (menit)", 11),
                      ("Target Tunggu (menit)", 11), ("Sesuai Target (%)", 11)])
    levels = data["service_levels"]
    for i, s in enumerate(levels["services"], start=1):
        values = [s["name"], s["agency"], s["issued"], s["served"], s["no_show"], _minutes(s["avg_wait_seconds"]),
                  _minutes(s["p90_wait_seconds"]), s["target_wait_minutes"], s["within_target_pct"]]
        for col, value in enumerate(values, start=1):
            _cell(ws, row + i, col, value if value is not None else "-", fmt="0.0")
    total = levels["total"]
    row += len(levels["services"]) + 1
    values = ["JUMLAH", "", total["issued"], total["served"], total["no_show"], _minutes(total["avg_wait_seconds"]),
              _minutes(total["p90_wait_seconds"]), "", total["within_target_pct"]]
    for col, value in enumerate(values, start=1):
        _cell(ws, row, col, value if value is not None else "-", bold=True, fmt="0.0")


def evaluation_workbook(first: date, last: date, *, agency_id: int | None = None) -> bytes:
    """The evaluation pack of local days first..last as .xlsx bytes."""
    data = pack(first, last, agency_id=agency_id)
    wb = Workbook()
    wb.active.title = "Ringkasan"
    _summary(wb.active, data)
    _ikm(wb.create_sheet("IKM"), data)
    actions_sheet(wb.create_sheet("Tindak Lanjut SKM"), data["actions"], titles(data))
    _complaints(wb.create_sheet("Pengaduan"), data)
    _standards(wb.create_sheet("Standar Pelayanan"), data)
    _levels(wb.create_sheet("Tingkat Layanan"), data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
