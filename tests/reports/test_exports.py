"""Report downloads: CSV that Excel opens with Cyrillic intact and XLSX, neither of which a
spreadsheet can be tricked into running as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from console.services.reports.exports import Column, Table, csv_bytes, xlsx_bytes

COLUMNS = [Column("technician", "Мастер"), Column("note", "Note"), Column("fines", "Fines")]
ROWS = [
    ("Иван Петров", '=HYPERLINK("http://evil")', Decimal("-1500.50")),
    ("+79001234567", "@SUM(A1)", -3),
    ("-minus", "\tlead tab", 0),
    ("plain", None, 12.5),
]


def test_csv_has_a_bom_stable_headers_and_no_formula_runs():
    data = csv_bytes(Table("kpi", COLUMNS, ROWS))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["technician", "note", "fines"]  # keys, whatever the language
    assert rows[1] == ["Иван Петров", '\'=HYPERLINK("http://evil")', "-1500.50"]
    assert rows[2] == ["'+79001234567", "'@SUM(A1)", "-3"]  # text escaped, the number not
    assert rows[3] == ["'-minus", "'\tlead tab", "0"]
    assert rows[4] == ["plain", "", "12.5"]


def test_xlsx_writes_risky_text_as_text_and_numbers_as_numbers():
    table = Table("kpi", COLUMNS, ROWS)
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).active
    assert [c.value for c in sheet[1]] == ["Мастер", "Note", "Fines"]  # translated labels
    formula = sheet["B2"]
    assert formula.value == '=HYPERLINK("http://evil")' and formula.data_type == "s"
    assert sheet["B3"].data_type == "s"
    assert sheet["C2"].value == -1500.5 and sheet["C2"].data_type == "n"
    assert sheet["C3"].value == -3


def test_times_go_out_in_the_viewers_zone():
    moment = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)
    table = Table("t", [Column("at", "At"), Column("day", "Day")], [(moment, date(2026, 12, 1))])
    table.tz = ZoneInfo("Europe/Moscow")
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))
    assert rows[1] == ["2026-12-01 00:30", "2026-12-01"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).active
    assert sheet["A2"].value == datetime(2026, 12, 1, 0, 30)
