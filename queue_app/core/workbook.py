"""What every Excel workbook of the site shares: its styles, header and data rows, title block, period titles.

Every cell a writer fills goes through :func:`row`, :func:`header` or :func:`title`, which escape typed text
(:func:`queue_app.core.exports.spreadsheet_text`): a survey comment or a complaint never lands as a formula.
Imported only by the modules that write workbooks (openpyxl is ~5 MB a serving process need not load).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from queue_app.core.exports import spreadsheet_text
from queue_app.core.formats import month_name, plain_date, weekday_name

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def cell(ws: Worksheet, row_: int, column: int, value: Any) -> Any:
    """Write one cell, its text escaped; :return: the cell."""
    return ws.cell(row=row_, column=column, value=spreadsheet_text(value))


def header(ws: Worksheet, row_: int, columns: list[tuple[str, int]] | tuple[tuple[str, int], ...], *,
           height: int = 45) -> None:
    """A header row of ``(title, width)`` columns."""
    for i, (text, width) in enumerate(columns, start=1):
        c = cell(ws, row_, i, text)
        c.font, c.fill, c.border, c.alignment = BOLD, HEAD_FILL, BOX, CENTER
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[row_].height = height


def row(ws: Worksheet, row_: int, values: list[Any], *, total: bool = False, fmt: str = "0.0") -> None:
    """A data row; floats get ``fmt``, numbers after the first column are right-aligned, a total row is bold and
    shaded."""
    for i, value in enumerate(values, start=1):
        c = cell(ws, row_, i, value)
        c.border = BOX
        if isinstance(value, float):
            c.number_format = fmt
        if i > 1 and value is not None and not isinstance(value, str):
            c.alignment = Alignment(horizontal="right")
        if total:
            c.font, c.fill = BOLD, TOTAL_FILL


def title(ws: Worksheet, lines: list[str], width: int) -> int:
    """Centered title lines over ``width`` columns; :return: the first free row after a blank one."""
    for r, text in enumerate(lines, start=1):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        c = cell(ws, r, 1, text)
        c.font = Font(bold=True, size=13 if r == 1 else 11)
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    return len(lines) + 2


def date_id(d: date) -> str:
    """``30 November 2026``."""
    return plain_date(d, "id")


def weekday_id(d: date) -> str:
    """``Senin``."""
    return weekday_name(d, "id")


def period_title(first: date, last: date) -> str:
    """``BULAN NOVEMBER 2026`` for a whole month, ``TANGGAL 7 DESEMBER 2026`` for a day, else
    ``PERIODE 1 NOVEMBER 2026 S.D. 15 NOVEMBER 2026``."""
    if first.day == 1 and (first.year, first.month) == (last.year, last.month) \
            and last.day == calendar.monthrange(last.year, last.month)[1]:
        return f"BULAN {month_name(first.month, 'id').upper()} {first.year}"
    if first == last:
        return f"TANGGAL {date_id(first).upper()}"
    return f"PERIODE {date_id(first).upper()} S.D. {date_id(last).upper()}"
