"""Every report table as a download: CSV (UTF-8 with a BOM, so Excel opens it with its Cyrillic
intact; comma-separated, RFC 4180) and XLSX.

A ``Table`` names its columns twice: ``key``, the CSV header, the same in every interface
language so that payroll's scripts can read it, and ``label``, the translated heading the page
and the XLSX show. Values go out as they are: numbers stay numbers (a negative one too), dates
stay dates.

Formula injection: a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some spreadsheets skip before one) could run as a formula in whoever
opens the file. In CSV such text gets a leading apostrophe; in XLSX it is written as a string
cell, never a formula. Only text is touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header: plain ASCII, the same in every language
    label: object  # the translated heading (a lazy string is fine)


@dataclass
class Table:
    name: str  # the file's name without extension, e.g. "technician-kpi-2026-11"
    columns: Sequence[Column]
    rows: Iterable[Sequence] = field(default_factory=list)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))  # aware datetimes shown in it


def safe_text(value: str) -> str:
    """Text a spreadsheet will show, never run."""
    return "'" + value if value.startswith(_RISKY_START) else value


def _plain(value, tz: ZoneInfo):
    """A value as a spreadsheet takes it: aware datetimes in the table's zone (spreadsheets
    have no zones), Decimal kept exact, anything else not a number or a date as text."""
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(tz).replace(tzinfo=None)
        return value
    return str(value)


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        cells = []
        for value in row:
            value = _plain(value, table.tz)
            if isinstance(value, str):
                cells.append(safe_text(value))
            elif isinstance(value, datetime):
                cells.append(value.isoformat(sep=" ", timespec="minutes"))
            else:
                cells.append("" if value is None else value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.name[:31])
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for value in row:
            value = _plain(value, table.tz)
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str) -> Response:
    """The table as an attachment in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "xlsx":
        body, mimetype = xlsx_bytes(table), _XLSX_TYPE
    else:
        body, mimetype = csv_bytes(table), "text/csv; charset=utf-8"
    filename = f"{table.name}.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def stamp(moment: datetime | None = None) -> str:
    """A file name's date: 2026-12-03."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%d")
