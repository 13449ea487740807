"""Fixtures of the order-import tests: the garage of the intake tests, files written as shops
save them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.models import utcnow
from tests.qc.intake_fixtures import garage  # noqa: F401 - a fixture


def day(days_ago: int, fmt: str = "%Y-%m-%d 10:30") -> str:
    """A local (Moscow) completion time a few days back, as a client's export writes it."""
    return (utcnow() - timedelta(days=days_ago)).strftime(fmt)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def write_file(tmp_path):
    """Write lines (joined with CRLF or LF) in an encoding; returns the path."""

    def write(*lines: str, name="orders.csv", encoding="utf-8", newline="\n") -> str:
        path = tmp_path / name
        path.write_bytes((newline.join(lines) + newline).encode(encoding))
        return str(path)

    return write


@pytest.fixture
def write_xlsx(tmp_path):
    """An XLSX file of rows (the first being the header); cells keep their Python types."""
    import openpyxl

    def write(rows: list[list], name="orders.xlsx") -> str:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return str(path)

    return write
