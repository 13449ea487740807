"""Reading order files (services/orders/files.py): encodings, delimiters, broken quoting, XLSX."""

from __future__ import annotations

import codecs
from datetime import datetime

import pytest

from console.services.orders import files

HEADER_RU = "Номер заказа;Клиент;Телефон;Дата закрытия;Сумма"


def read(path, **kw):
    with files.open_table(path, **kw) as table:
        return table, list(table.records())


def test_a_windows_1251_file_with_semicolons_is_read(write_file):
    path = write_file(
        HEADER_RU,
        "A-1;Иван Петров;8 (912) 345-67-89;19.11.2026 14:05;4 350,50",
        encoding="cp1251",
        newline="\r\n",
    )
    table, records = read(path)
    assert (table.encoding, table.delimiter) == ("cp1251", ";")
    assert table.headers == ["Номер заказа", "Клиент", "Телефон", "Дата закрытия", "Сумма"]
    [record] = records
    assert record.line == 2
    assert record.values == [
        "A-1",
        "Иван Петров",
        "8 (912) 345-67-89",
        "19.11.2026 14:05",
        "4 350,50",
    ]


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
    ],
)
def test_utf8_with_or_without_a_bom_and_excels_unicode_text(tmp_path, encoding, bom, expected):
    path = tmp_path / "orders.txt"
    path.write_bytes(bom + "Телефон\tСумма\r\n+79123456789\t100\r\n".encode(encoding))
    table, records = read(path)
    assert table.encoding == expected and table.delimiter == "\t"
    assert table.headers == ["Телефон", "Сумма"]
    assert records[0].values == ["+79123456789", "100"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_the_one_that_splits_the_header(write_file, delimiter):
    path = write_file(delimiter.join(["a", "b", "c"]), delimiter.join(['"1,5"', "2;3", "x"]))
    table, records = read(path)
    assert table.delimiter == delimiter
    assert len(table.headers) == 3


def test_an_unterminated_quote_is_reported_and_the_next_row_is_not_swallowed(write_file):
    path = write_file(
        "external_id,customer_name,phone",
        'A-1,"Ivan ""the"" Petrov",+79120000001',
        'A-2,"Olga,+79120000002',  # the quote is never closed
        "A-3,Boris,+79120000003",
        'A-4,"Oil change,',  # a real line break inside quotes: one record over two lines
        'filter",+79120000004',
        "A-5,Anna,+79120000005",
    )
    _, records = read(path)
    by_line = {r.line: r for r in records}
    assert sorted(by_line) == [2, 3, 4, 5, 7]
    assert by_line[2].values == ["A-1", 'Ivan "the" Petrov', "+79120000001"]
    assert by_line[3].error and by_line[3].text == 'A-2,"Olga,+79120000002'
    assert by_line[4].values == ["A-3", "Boris", "+79120000003"]  # not merged into line 3
    assert by_line[5].values == ["A-4", "Oil change,\nfilter", "+79120000004"]
    assert by_line[7].values == ["A-5", "Anna", "+79120000005"]


def test_a_quote_left_open_at_the_end_of_the_file_is_one_bad_line(write_file):
    path = write_file("a,b", "1,2", '3,"4', "5,6")
    _, records = read(path)
    assert [(r.line, r.error is not None) for r in records] == [(2, False), (3, True), (4, False)]


def test_blank_lines_are_skipped_but_counted(write_file):
    path = write_file("", "a;b", "1;2", "", "3;4")
    table, records = read(path)
    assert table.header_line == 2
    assert [r.line for r in records] == [3, 5]


def test_a_file_that_is_not_text_or_is_empty_is_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n\r\n")
    with pytest.raises(files.FileRefused, match="empty"):
        files.open_table(empty)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(files.XLSX_MAGIC + b"not a zip at all")
    with pytest.raises(files.FileRefused, match="XLSX"):
        files.open_table(broken)


def test_xlsx_rows_keep_their_cells_types_and_sheet_rows(write_xlsx):
    when = datetime(2026, 11, 19, 14, 5)
    path = write_xlsx(
        [
            ["Номер заказа", "Телефон", "Дата закрытия", "Сумма", "Пробег"],
            [1001, 79123456789, when, 4350.5, 85000],
            [None, None, None, None, None],
            ["A-2", "8 912 000-00-02", "19.11.2026 14:05", "100,00"],
        ]
    )
    table, records = read(path)
    assert table.kind == "xlsx"
    assert table.headers == ["Номер заказа", "Телефон", "Дата закрытия", "Сумма", "Пробег"]
    assert [r.line for r in records] == [2, 4]  # the sheet's rows; the empty one skipped
    assert records[0].values == [1001, 79123456789, when, 4350.5, 85000]
    assert records[1].values == ["A-2", "8 912 000-00-02", "19.11.2026 14:05", "100,00"]
