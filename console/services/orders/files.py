"""Reading an uploaded table, an order file or the technicians' import: CSV (UTF-8 with or
without a BOM, Windows-1251, UTF-16 as Excel's "Unicode text"; comma, semicolon or tab) or XLSX
(the first sheet).

``open_table(path)`` gives the header (the first line that is not blank) and the records after
it, each with its line in the file (the header being line 1; for XLSX, the sheet row), so every
problem can be reported where the person will find it:

* **Encoding**: the whole file is tried as strict UTF-8 (it has a strict grammar, so Windows-1251
  Russian text practically never passes for it), else Windows-1251, the encoding of spreadsheets
  saved as CSV on a Russian Windows. No statistical detector: on short files they guess, and the
  two candidates are all that Russian shops send.
* **Delimiter**: the one of ``,`` ``;`` tab that splits the header into the most columns.
* **Broken quoting**: a quoted field may span lines (a description with line breaks), but when
  the record it makes does not have the header's number of fields, or the file ends inside it,
  the quote is taken as never closed: that one line is reported and reading goes on with the
  next line, so no following row is swallowed into a field.

Reading is streamed (a file of a million rows is never in memory whole); values are text for
CSV and what the cells hold for XLSX (text, numbers, dates as datetimes).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from flask_babel import lazy_gettext as _l

DELIMITERS = (";", ",", "\t")  # on a tie, the first: a Russian spreadsheet's own
CHUNK = 1 << 20
MAX_RECORD_LINES = 1_000  # a quoted field longer than this is a quote never closed
MAX_FIELD_CHARS = 1 << 20
# An XLSX is a zip: its parts are refused past these sizes unpacked, before they are parsed.
MAX_XLSX_PART_BYTES = 1 << 30
MAX_XLSX_STRINGS_BYTES = 256 << 20
XLSX_MAGIC = b"PK\x03\x04"

csv.field_size_limit(MAX_FIELD_CHARS)


class FileRefused(ValueError):
    """The file cannot be read at all; the message (lazily translated) says why."""


@dataclass(slots=True)
class Record:
    line: int  # where the record starts: the file's line, or the sheet's row
    values: list  # one per column; text for CSV, cell values for XLSX
    error: str | None = None  # the record could not be read (broken quoting)
    text: str | None = None  # with error: the raw line, kept for the rejected rows


@dataclass
class TableFile:
    kind: str  # "csv" | "xlsx"
    headers: list[str]
    header_line: int
    rows_estimate: int | None  # records after the header, as far as is known before reading
    encoding: str | None = None
    delimiter: str | None = None
    _records: Iterator[Record] | None = field(default=None, repr=False)
    _close: list = field(default_factory=list, repr=False)

    def records(self) -> Iterator[Record]:
        """The records after the header, blank lines left out (their lines still count)."""
        if self._records is None:
            raise RuntimeError("records() can be read once")
        records, self._records = self._records, None
        return records

    def close(self) -> None:
        for close in self._close:
            close()
        self._close.clear()

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(4) == XLSX_MAGIC


def open_table(path: Path | str, *, encoding: str | None = None) -> TableFile:
    """Open a table file (CSV or XLSX, told apart by its first bytes). ``encoding``: a CSV
    file's encoding when it is already known (detected on upload), else detected now."""
    path = Path(path)
    if is_xlsx(path):
        return _open_xlsx(path)
    return _open_csv(path, encoding)


def clean_header(value, index: int) -> str:
    text = " ".join(str(value if value is not None else "").replace("\ufeff", "").split())
    return text or str(_l("column %(n)s", n=index + 1))


# --- CSV ------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> tuple[str, int]:
    """The file's encoding and its number of line breaks, in one pass over the bytes."""
    with open(path, "rb") as file:
        start = file.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif start.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        else:
            encoding = "utf-8"
        file.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        newlines = 0
        ok = True
        while chunk := file.read(CHUNK):
            newlines += chunk.count(b"\n")
            if ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    ok = False
        if ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                ok = False
        if ok:
            return encoding, newlines
        if encoding == "utf-16":
            raise FileRefused(_l("the file is not readable text (broken UTF-16)"))
        file.seek(0)
        decoder = codecs.getincrementaldecoder("cp1251")("strict")
        try:
            while chunk := file.read(CHUNK):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            raise FileRefused(
                _l("the file is neither UTF-8 nor Windows-1251 text: save it as CSV or XLSX")
            ) from None
    return "cp1251", newlines


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    best, most = DELIMITERS[0], 1
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


class _Lines:
    """The file's physical lines for ``csv.reader``, remembering those the current record took,
    with lines put back to be read again (after a quote that was never closed)."""

    __slots__ = ("_source", "_again", "taken")

    def __init__(self, source: Iterator[str]):
        self._source = source
        self._again: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._again.popleft() if self._again else next(self._source)
        self.taken.append(line)
        return line

    def put_back(self, lines: list[str]) -> None:
        self._again.extendleft(reversed(lines))


def _csv_records(lines: _Lines, first_line: int, width: int, dialect) -> Iterator[Record]:
    line = first_line
    reader = csv.reader(lines, dialect)
    while True:
        lines.taken = []
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            values = None
        taken = lines.taken
        spans = len(taken)
        if values is None or (spans > 1 and len(values) != width) or spans > MAX_RECORD_LINES:
            # A quote never closed (or a stray one): report this line, read on from the next.
            if not taken:
                return
            yield Record(
                line,
                [],
                error=_l('a quote (") is not closed, or a stray one is in a value'),
                text=taken[0].rstrip("\r\n"),
            )
            lines.put_back(taken[1:])
            reader = csv.reader(lines, dialect)
            line += 1
            continue
        if values:  # a blank line gives no values
            yield Record(line, values)
        line += spans


def _open_csv(path: Path, encoding: str | None) -> TableFile:
    newlines = None
    if encoding is None:
        encoding, newlines = detect_encoding(path)
    file = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the TableFile
    try:
        line = 0
        header_text = None
        for text in file:
            line += 1
            if text.strip().replace("\ufeff", ""):
                header_text = text
                break
        if header_text is None:
            raise FileRefused(_l("the file is empty"))
        delimiter = sniff_delimiter(header_text.rstrip("\r\n"))
        dialect = _dialect(delimiter)
        lines = _Lines(iter(file))
        lines.put_back([header_text])
        header_record = next(_csv_records(lines, line, 0, dialect), None)
        if header_record is None or header_record.error:
            raise FileRefused(_l("line %(line)s: the header cannot be read", line=line))
        headers = [clean_header(v, i) for i, v in enumerate(header_record.values)]
    except BaseException:
        file.close()
        raise
    estimate = max(0, newlines - line) if newlines is not None else None
    records = _csv_records(lines, line + 1, len(headers), dialect)
    return TableFile(
        "csv", headers, line, estimate, encoding, delimiter, records, _close=[file.close]
    )


def _dialect(delimiter: str) -> type[csv.Dialect]:
    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    Dialect.strict = True
    return Dialect


# --- XLSX -----------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                limit = (
                    MAX_XLSX_STRINGS_BYTES
                    if info.filename.endswith("sharedStrings.xml")
                    else MAX_XLSX_PART_BYTES
                )
                if info.file_size > limit:
                    raise FileRefused(_l("the spreadsheet is too large once unpacked"))
    except zipfile.BadZipFile:
        raise FileRefused(_l("the file is not a readable XLSX spreadsheet")) from None


def cell_value(value):
    """A cell as the row rules take it: text, a number, a datetime (dates and times too)."""
    if isinstance(value, datetime | int | float) or value is None:
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    return str(value)


def cell_text(value) -> str:
    """A record's value as text: a CSV value as it is; a spreadsheet's empty cell is "", its
    1234.0 "1234" (a number or a phone typed as a number), a date "2024-05-01 00:00"."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def _open_xlsx(path: Path) -> TableFile:
    # Imported here: openpyxl is heavy and only spreadsheets need it.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(path)
    # Given the open file, not its path: openpyxl refuses a path whose name does not end in
    # ".xlsx", and an upload is read from a temporary file named without it.
    file = open(path, "rb")  # noqa: SIM115 - closed by the TableFile
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError, zipfile.BadZipFile):
        file.close()
        raise FileRefused(_l("the file is not a readable XLSX spreadsheet")) from None
    closing = [book.close, file.close]
    try:
        sheet = book.worksheets[0]
        declared = sheet.max_row  # from the file's own dimension: an estimate
        sheet.reset_dimensions()  # read every row, whatever the dimension says
        rows = sheet.iter_rows(values_only=True)
        line = 0
        headers = None
        for row in rows:
            line += 1
            if any(v is not None and str(v).strip() for v in row):
                headers = [clean_header(v, i) for i, v in enumerate(row)]
                break
        if headers is None:
            raise FileRefused(_l("the file is empty"))
        while headers and headers[-1] == str(_l("column %(n)s", n=len(headers))):
            headers.pop()  # trailing empty header cells
    except FileRefused:
        for close in closing:
            close()
        raise
    except Exception:
        for close in closing:
            close()
        raise FileRefused(_l("the file is not a readable XLSX spreadsheet")) from None

    def records() -> Iterator[Record]:
        number = line
        for row in rows:
            number += 1
            values = [cell_value(v) for v in row]
            while values and (values[-1] is None or values[-1] == ""):
                values.pop()
            if values:
                yield Record(number, values)

    estimate = max(0, declared - line) if declared else None
    return TableFile("xlsx", headers, line, estimate, None, None, records(), _close=closing)
