"""Cells of the CSV files people open in a spreadsheet (the pack's register.csv, an import's
FILE.errors.csv). A school's or parent's name is free text: one starting with = + - @ (or a tab
or carriage return) would be run as a formula by Excel or LibreOffice (OWASP "CSV injection"),
so such a cell is written with a leading apostrophe, which spreadsheets show as text."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """`value` as a spreadsheet will show it, never as a formula it would run."""
    return "'" + value if value.startswith(FORMULA_START) else value
