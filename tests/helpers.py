"""Shared test markers and helpers (importable: tests/ is on pytest's rootdir path)."""

from tests.conftest import on_both_databases, on_postgresql

__all__ = ["on_both_databases", "on_postgresql"]
