"""The monthly recap workbook (Excel, Bahasa Indonesia), laid out like the recap an office files.

Sheet "Rekap Layanan": title block, numbered rows per service grouped by agency, a JUMLAH row and
the signature block of the head of the office. Further sheets: per day, per counter, per clerk, visits per
route (Kunjungan).
Every figure comes from :mod:`queue_app.stats` (computed in SQL); this module only lays them out.

The signer is read from the ``report_signer`` setting (``{"title", "name", "nip", "place"}``), so an
admin can set it once; without it the block keeps dotted lines to sign and fill in by hand.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from queue_app.core import workbook as sheets
from queue_app.core.extensions import db
from queue_app.core.lookups import setting_value
from queue_app.core.models import Agency
from queue_app.core.site import current_site
from queue_app.stats import figures

SERVICE_COLUMNS = (
    ("No", 5), ("Instansi (OPD)", 16), ("Jenis Layanan", 32), ("Jumlah Antrean", 11), ("Dilayani", 10),
    ("Tidak Hadir", 10), ("Batal", 8), ("Rata-rata Waktu Tunggu (menit)", 13), ("Waktu Tunggu P90 (menit)", 12),
    ("Rata-rata Waktu Layanan (menit)", 13), ("Target Waktu Tunggu (menit)", 12), ("Sesuai Target (%)", 11),
)


def _region(site_name: str) -> str:
    """``Kota Cilegon`` from ``Mal Pelayanan Publik Kota Cilegon``."""
    m = re.search(r"\b((?:Kota|Kabupaten)\s+.+)$", site_name)
    return m.group(1) if m else site_name


def _minutes(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def _signer() -> dict[str, str]:
    value = setting_value("report_signer")
    value = value if isinstance(value, dict) else {}
    region = _region(current_site().name)
    return {
        "title": str(value.get("title") or f"Kepala DPMPTSP {region}"),
        "name": str(value.get("name") or "...................................."),
        "nip": str(value.get("nip") or "...................................."),
        "place": str(value.get("place") or re.sub(r"^(Kota|Kabupaten)\s+", "", region)),
    }


def _figures(f: dict[str, Any]) -> list[Any]:
    return [f["issued"], f["served"], f["no_show"], f["cancelled"], _minutes(f["avg_wait_seconds"]),
            _minutes(f["p90_wait_seconds"])]


def recap_workbook(first: date, last: date, *, agency_id: int | None = None) -> bytes:
    """The recap of local days first..last as .xlsx bytes."""
    site = current_site()
    summary = figures.summary(first, last, agency_id=agency_id)
    agencies = {a.code: a.name for a in db.session.query(Agency)}
    scope = db.session.get(Agency, agency_id) if agency_id is not None else None
    region = _region(site.name)

    wb = Workbook()
    ws = wb.active
    ws.title = "Rekap Layanan"
    width = len(SERVICE_COLUMNS)
    title = [
        f"REKAPITULASI LAYANAN ANTREAN {site.name.upper()} — {sheets.period_title(first, last)}",
        f"PEMERINTAH {region.upper()}",
        scope.name if scope is not None else "Seluruh instansi (OPD) yang membuka layanan",
        f"Periode: {sheets.date_id(first)} s.d. {sheets.date_id(last)}",
    ]
    row = sheets.title(ws, title, width)
    sheets.header(ws, row, SERVICE_COLUMNS)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    row += 1
    for n, s in enumerate(summary["services"], start=1):
        sheets.row(ws, row, [n, s["agency"], s["name"], *_figures(s), _minutes(s["avg_service_seconds"]),
                       s["target_wait_minutes"], s["within_target_pct"]])
        row += 1
    t = summary["total"]
    sheets.row(ws, row, ["", "JUMLAH", "", *_figures(t), _minutes(t["avg_service_seconds"]), "", t["within_target_pct"]],
         total=True)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    row += 2
    notes = [
        "Keterangan:",
        "Jumlah Antrean dihitung pada layanan tempat tiket diambil; Dilayani, Tidak Hadir dan Batal pada layanan "
        "tempat tiket berakhir (setelah dialihkan).",
        "Kunjungan lintas layanan (satu nomor untuk beberapa layanan berurutan): setiap tahap dihitung pada "
        "layanannya sendiri (dilayani, waktu tunggu, waktu layanan); lama kunjungan utuh per rute ada di lembar "
        "Kunjungan.",
        "Waktu tunggu = dari pengambilan tiket sampai panggilan pertama; waktu layanan = dari mulai dilayani "
        "sampai selesai. P90 = 90% pengunjung menunggu tidak lebih lama dari angka ini.",
        "Sesuai Target = persentase pengunjung yang dipanggil dengan waktu tunggu tidak melebihi target layanan.",
        "Instansi: " + "; ".join(f"{code} = {name}" for code, name in agencies.items()
                                 if any(s["agency"] == code for s in summary["services"])),
    ]
    for text in notes:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = sheets.cell(ws, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(italic=text != "Keterangan:", bold=text == "Keterangan:", size=9)
        ws.row_dimensions[row].height = 15 if text == "Keterangan:" else 26
        row += 1
    _signature(ws, row + 1, width - 4, last)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{len(title) + 2}:{len(title) + 2}"

    _daily_sheet(wb, first, last, agency_id, title[0])
    _actor_sheet(wb, "Per Loket", title[0], ("Kode Loket", "Nama Loket"),
                 [(c["code"], c["name"], c) for c in figures.by_counter(first, last, agency_id=agency_id)])
    _actor_sheet(wb, "Per Petugas", title[0], ("Nama Pengguna", "Nama Petugas"),
                 [(c["username"], c["name"], c) for c in figures.by_clerk(first, last, agency_id=agency_id)])
    _visits_sheet(wb, summary["visits"], title[0])

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _signature(ws: Worksheet, row: int, col: int, last: date) -> None:
    signer = _signer()
    lines = [f"{signer['place']}, {sheets.date_id(last)}", "Mengetahui,", signer["title"], "", "", "",
             signer["name"], f"NIP. {signer['nip']}"]
    for i, text in enumerate(lines):
        ws.merge_cells(start_row=row + i, start_column=col, end_row=row + i, end_column=col + 4)
        cell = sheets.cell(ws, row + i, col, text)
        cell.alignment = Alignment(horizontal="center")
        if i == 6:
            cell.font = Font(bold=True, underline="single")


def _daily_sheet(wb: Workbook, first: date, last: date, agency_id: int | None, title: str) -> None:
    ws = wb.create_sheet("Rincian Harian")
    columns = (("No", 5), ("Hari", 10), ("Tanggal", 18), ("Jumlah Antrean", 11), ("Dilayani", 10),
               ("Tidak Hadir", 10), ("Batal", 8), ("Dipanggil", 10), ("Rata-rata Waktu Tunggu (menit)", 13),
               ("Sesuai Target (%)", 11))
    row = sheets.title(ws, [title, "Rincian per hari"], len(columns))
    sheets.header(ws, row, columns)
    row += 1
    days = figures.daily(first, last, agency_id=agency_id)
    for n, d in enumerate(days, start=1):
        day = date.fromisoformat(d["day"])
        sheets.row(ws, row, [n, sheets.weekday_id(day), sheets.date_id(day), d["issued"], d["served"], d["no_show"],
                       d["cancelled"], d["called"], _minutes(d["avg_wait_seconds"]), d["within_target_pct"]])
        row += 1
    sheets.row(ws, row, ["", "JUMLAH", "", *(sum(d[k] for d in days) for k in ("issued", "served", "no_show",
                                                                         "cancelled", "called")), "", ""],
         total=True)


def _visits_sheet(wb: Workbook, visits: dict[str, Any], title: str) -> None:
    """Visits done and how long they took (first ticket to last finish), per route of services walked."""
    ws = wb.create_sheet("Kunjungan")
    columns = (("No", 5), ("Rute Layanan", 48), ("Kunjungan Selesai", 12), ("Rata-rata Lama Kunjungan (menit)", 14),
               ("Lama Kunjungan P90 (menit)", 13))
    row = sheets.title(ws, [title, "Lama kunjungan: dari pengambilan tiket sampai selesai di layanan terakhir"],
                       len(columns))
    sheets.header(ws, row, columns)
    row += 1
    for n, r in enumerate(visits["routes"], start=1):
        sheets.row(ws, row, [n, " → ".join(r["route"]), r["done"], _minutes(r["avg_visit_seconds"]),
                       _minutes(r["p90_visit_seconds"])])
        row += 1
    sheets.row(ws, row, ["", "SEMUA KUNJUNGAN (termasuk satu layanan)", visits["done"],
                   _minutes(visits["avg_visit_seconds"]), _minutes(visits["p90_visit_seconds"])], total=True)


def _actor_sheet(wb: Workbook, name: str, title: str, keys: tuple[str, str],
                 rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    ws = wb.create_sheet(name)
    columns = (("No", 5), (keys[0], 14), (keys[1], 24), ("Dipanggil", 10), ("Panggil Ulang", 10),
               ("Dilayani", 10), ("Tidak Hadir", 10), ("Dialihkan", 10), ("Rata-rata Waktu Tunggu (menit)", 13),
               ("Waktu Tunggu P90 (menit)", 12), ("Rata-rata Waktu Layanan (menit)", 13), ("Sesuai Target (%)", 11))
    row = sheets.title(ws, [title, name], len(columns))
    sheets.header(ws, row, columns)
    row += 1
    for n, (code, label, f) in enumerate(rows, start=1):
        sheets.row(ws, row, [n, code, label, f["calls"], f["recalls"], f["served"], f["no_show"], f["transferred"],
                       _minutes(f["avg_wait_seconds"]), _minutes(f["p90_wait_seconds"]),
                       _minutes(f["avg_service_seconds"]), f["within_target_pct"]])
        row += 1
    sheets.row(ws, row, ["", "JUMLAH", "", *(sum(f[k] for _, _, f in rows) for k in ("calls", "recalls", "served",
                                                                             "no_show", "transferred")),
                   "", "", "", ""], total=True)
