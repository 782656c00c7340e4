"""Reading the five CSV files of CONTRACT.md into typed rows, with every problem reported as
`FILE:LINE: field: reason`. Reference checks (does this pupil exist?) happen in imports.py."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import filterfalse, islice
from operator import itemgetter
from typing import Any

from attendance.calendar import out_of_range
from attendance.codes import CodeError, parse_code
from attendance.postal import PostalAddress, PostalError, normal_phone, normal_postcode
from casework.mark_columns import MarkColumns
from casework.records import CalendarRow, MarkRow, ParentRow, PupilRow, SchoolRow

COLUMNS: dict[str, tuple[str, ...]] = {
    "schools": ("urn", "name", "local_authority"),
    "pupils": ("upn", "first_name", "last_name", "date_of_birth", "school_urn", "year_group"),
    "parents": ("parent_id", "upn", "name", "email", "relationship"),
    "calendar": ("school_urn", "kind", "start", "end"),
    "marks": ("upn", "school_urn", "date", "session", "code"),
}
# A UPN is a check letter and 12 characters: 11 digits and a final digit (or a letter for a
# temporary UPN).
_UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


class RowError(ValueError):
    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name, self.reason = field_name, reason
        super().__init__(reason)


@dataclass
class Parsed:
    rows: list[tuple[int, Any]] = field(default_factory=list)  # (line, row)
    problems: list[str] = field(default_factory=list)
    separator: str = ","  # what the file was read with: `;` as Excel saves it in some locales
    marks: MarkColumns | None = None  # a register file read by columns (then `rows` is empty)

    def count(self) -> int:
        return len(self.rows) + (len(self.marks) if self.marks is not None else 0)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(row: dict[str, str], name: str, required: bool = True) -> str:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise RowError(name, "is empty")
    if _CONTROL.search(value):
        # A line break in a name would end up in letters and email headers.
        raise RowError(name, "contains a line break or control character")
    return value


def _date(row: dict[str, str], name: str) -> date:
    value = _text(row, name)
    try:
        day = date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("bad")
    except ValueError:
        raise RowError(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if (why := out_of_range(day)) is not None:
        raise RowError(name, why)
    return day


def _upn(row: dict[str, str], name: str = "upn") -> str:
    value = _text(row, name).upper()
    if not _UPN.match(value):
        raise RowError(name, f"{value!r} is not a UPN (a letter and 12 digits)")
    return value


def _school(row: dict[str, str]) -> SchoolRow:
    return SchoolRow(_text(row, "urn"), _text(row, "name"), _text(row, "local_authority"))


def _pupil(row: dict[str, str]) -> PupilRow:
    return PupilRow(
        _upn(row),
        _text(row, "first_name"),
        _text(row, "last_name"),
        _date(row, "date_of_birth"),
        _text(row, "school_urn"),
        _text(row, "year_group"),
    )


def _parent(row: dict[str, str]) -> ParentRow:
    email = _text(row, "email", required=False) or None
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise RowError("email", f"{email!r} is not an email address")
    return ParentRow(
        _text(row, "parent_id"),
        _upn(row),
        _text(row, "name"),
        email,
        _text(row, "relationship"),
        _address(row),
        _phone(row),
    )


# The parents file's optional columns (CONTRACT.md, Additions): a postal address and a phone.
ADDRESS_COLUMNS = ("address_line_1", "address_line_2", "town", "postcode")


def _address(row: dict[str, str]) -> PostalAddress | None:
    """None when the row gives no address (the columns absent or all empty): what is on file
    stays. A partial address is refused: a letter cannot be posted to half an address."""
    if not any(_text(row, c, required=False) for c in ADDRESS_COLUMNS):
        return None
    for needed in ("address_line_1", "town", "postcode"):
        if not _text(row, needed, required=False):
            raise RowError(needed, "is empty: an address needs address_line_1, town and postcode")
    try:
        postcode = normal_postcode(_text(row, "postcode"))
    except PostalError as e:
        raise RowError("postcode", str(e)) from None
    return PostalAddress(
        _text(row, "address_line_1"),
        _text(row, "address_line_2", required=False),
        _text(row, "town"),
        postcode,
    )


def _phone(row: dict[str, str]) -> str | None:
    value = _text(row, "phone", required=False)
    if not value:
        return None
    try:
        return normal_phone(value)
    except PostalError as e:
        raise RowError("phone", str(e)) from None


def _calendar(row: dict[str, str]) -> CalendarRow:
    kind = _text(row, "kind").lower()
    if kind not in ("term", "closure"):
        raise RowError("kind", f"{kind!r} is neither 'term' nor 'closure'")
    start, end = _date(row, "start"), _date(row, "end")
    if end < start:
        raise RowError("end", f"{end} is before the start {start}")
    return CalendarRow(_text(row, "school_urn"), kind, start, end)


def _session(row: dict[str, str]) -> str:
    session = _text(row, "session").upper()
    if session not in ("AM", "PM"):
        raise RowError("session", f"{session!r} is neither AM nor PM")
    return session


def _code(row: dict[str, str]) -> str:
    try:
        return parse_code(_text(row, "code")).code
    except CodeError as e:
        raise RowError("code", str(e)) from None


def _mark(row: dict[str, str]) -> MarkRow:
    session, code = _session(row), _code(row)
    return MarkRow(_upn(row), _text(row, "school_urn"), _date(row, "date"), session, code)


# Each field of a register file as `_mark` reads it, applied once per distinct value.
_MARK_FIELDS: dict[str, Callable[[dict[str, str]], Any]] = {
    "upn": _upn,
    "school_urn": lambda row: _text(row, "school_urn"),
    "date": lambda row: _date(row, "date"),
    "session": _session,
    "code": _code,
}


def _read_field(values: list[str], name: str) -> list[Any]:
    """One column, each distinct value read once; RowError if any is not good."""
    distinct = set(values)
    if name == "upn":  # a day's file names every pupil: read only those not already in form
        distinct = set(filterfalse(_UPN.match, distinct))
    read = {v: _MARK_FIELDS[name]({name: v}) for v in distinct}
    if list(read) == list(read.values()):
        return values  # every value already as `_mark` reads it
    return list(map(read.get, values, values))


def _columns(
    reader: Iterator[list[str]], width: int, tick: Callable[[int], None] | None
) -> list[list[str]] | None:
    """Every record after the header as one list per column, a chunk of rows at a time (500,000
    rows kept as lists would cost more in garbage collection than the reading); None at a row
    of another length or a file that is not well-formed CSV."""
    columns: list[list[str]] = [[] for _ in range(width)]
    try:
        while chunk := list(islice(reader, 5000)):
            if set(map(len, chunk)) != {width}:
                return None
            for i, column in enumerate(columns):
                column += map(itemgetter(i), chunk)
            if tick is not None and len(chunk) == 5000:
                tick(5000)
    except csv.Error:
        return None
    return columns


def _marks_by_columns(
    columns: list[list[str]], header: list[str], lines: range
) -> MarkColumns | None:
    """A register file column by column, when every row is well formed: a county's day is
    500,000 marks. None at anything unusual (a record over two lines, a bad value): the file is
    then read row by row, which names each problem."""
    if not lines or len(lines) != len(columns[0]):
        return None
    try:
        read = {c: _read_field(columns[header.index(c)], c) for c in COLUMNS["marks"]}
    except RowError:
        return None
    return MarkColumns(
        lines, read["upn"], read["school_urn"], read["date"], read["session"], read["code"]
    )


PARSERS: dict[str, Callable[[dict[str, str]], Any]] = {
    "schools": _school,
    "pupils": _pupil,
    "parents": _parent,
    "calendar": _calendar,
    "marks": _mark,
}


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise RowError(
            f"{name}:{line}: encoding",
            f"byte 0x{data[e.start]:02x} at column {column} is not UTF-8: export the file as UTF-8"
            + _looks_like(data),
        ) from None


def _looks_like(data: bytes) -> str:
    """What a file that is not UTF-8 probably is: Excel on Windows saves Windows-1252."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return " (it reads as Windows-1252, as Excel saves CSV: choose 'CSV UTF-8')"


class _FastMarks:
    """The common case of a marks row, without building a dict: a county's day is 500,000 rows.
    Anything unusual returns None and goes through `_mark`, which names the problem."""

    def __init__(self, header: list[str]) -> None:
        self.i = [header.index(c) for c in COLUMNS["marks"]]
        self.days: dict[str, date] = {}
        self.codes: dict[str, str] = {}
        self.upns: set[str] = set()

    def __call__(self, row: list[str]) -> MarkRow | None:
        try:
            upn, urn, day_text, session, code_text = (row[i] for i in self.i)
        except IndexError:
            return None
        if session not in ("AM", "PM") or not urn or urn != urn.strip() or _CONTROL.search(urn):
            return None  # `_mark` reads it: a school's URN is read as `_text` reads it
        if upn not in self.upns:
            if not _UPN.match(upn):
                return None
            self.upns.add(upn)
        day = self.days.get(day_text)
        if day is None:
            try:
                day = self.days[day_text] = _date({"d": day_text}, "d")
            except RowError:
                return None
        code = self.codes.get(code_text)
        if code is None:
            try:
                code = self.codes[code_text] = parse_code(code_text).code
            except CodeError:
                return None
        return MarkRow(upn, urn, day, session, code)


def _read_rows(
    out: Parsed, kind: str, name: str, reader: Any, tick: Callable[[int], None] | None
) -> None:
    """Every row after the header in turn, each read well or its problem named."""
    header = [h.strip().lower() for h in next(reader)]
    parser = PARSERS[kind]
    fast = _FastMarks(header) if kind == "marks" else None
    last = reader.line_num
    try:
        for n, row in enumerate(reader, start=1):
            # A quoted field may span lines: name the line the record starts on.
            line, last = last + 1, reader.line_num
            if tick is not None and n % 5000 == 0:
                tick(5000)
            if len(row) > len(header):
                out.problems.append(f"{name}:{line}: -: more fields than the header has")
                continue
            if not any(v.strip() for v in row):
                continue  # blank line
            parsed = fast(row) if fast else None
            if parsed is not None:
                out.rows.append((line, parsed))
                continue
            try:
                record = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
                out.rows.append((line, parser(record)))
            except RowError as e:
                out.problems.append(f"{name}:{line}: {e.field_name}: {e.reason}")
    except csv.Error as e:
        out.problems.append(f"{name}:{reader.line_num}: -: {e}")


def parse(kind: str, name: str, data: bytes, tick: Callable[[int], None] | None = None) -> Parsed:
    """Parse one file; `problems` lists every bad row. Rows are returned only if there are none."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(COLUMNS)}")
    out = Parsed()
    try:
        text = _decode(name, data)
    except RowError as e:
        out.problems.append(f"{e.field_name}: {e.reason}")
        return out
    if not text.strip():
        out.problems.append(f"{name}:1: header: the file is empty")
        return out
    first = text.split("\n", 1)[0]
    # Excel saves CSV with `;` where the decimal mark is a comma: a header with `;` and no
    # comma is read that way.
    sep = out.separator = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS[kind] if c not in header]
    if missing:
        mixed = (
            "; the header has both `;` and `,`: save the file with one separator"
            if ";" in first and "," in first
            else ""
        )
        out.problems.append(
            f"{name}:1: header: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (expected {','.join(COLUMNS[kind])}){mixed}"
        )
        return out
    if kind == "marks":
        header_end, columns = reader.line_num, _columns(reader, len(header), tick)
        lines = range(header_end + 1, reader.line_num + 1)  # one line per record, if none spans two
        out.marks = _marks_by_columns(columns, header, lines) if columns is not None else None
        if out.marks is not None:
            return out
        tick = None  # read again row by row below: the rows were counted once already
    _read_rows(out, kind, name, csv.reader(io.StringIO(text, newline=""), delimiter=sep), tick)
    if not out.rows and not out.problems:
        out.problems.append(f"{name}:2: -: no rows after the header")
    return out
