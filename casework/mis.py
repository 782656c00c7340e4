"""Session marks as a school's MIS exports them (SIMS, Arbor, Bromcom, or any other through
`--columns`), read into the rows of CONTRACT.md's marks file. The export names no school: the
school is given. Its own letters go through a codes mapping (`--codes`), then the 2024 code set.

Each layout is small: which columns hold the UPN, the date, the session and the mark, how the
date is written, how the sessions are named. docs/imports.md shows each with a sample file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from attendance.calendar import out_of_range
from attendance.codes import CodeError, parse_code
from casework.csvfiles import Parsed
from casework.mis_xml import ReportError, is_xml, report_rows
from casework.records import MarkRow

FIELDS = ("upn", "date", "session", "code")


@dataclass(frozen=True)
class Layout:
    name: str
    # our field -> the header names that system uses for it (matched without case or spaces)
    columns: Mapping[str, tuple[str, ...]]
    date_formats: tuple[str, ...]


# Dates as those systems write them: DD/MM/YYYY, or a date and time when the export gives the
# session's start (a time before noon is the morning session when no session column is there);
# SIMS's CommandReporter XML writes .NET date-times (2025-03-03T00:00:00, perhaps +00:00).
_UK = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y")
_XML = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d")
LAYOUTS: dict[str, Layout] = {
    # SIMS: a report's captions as the SIMS data fields name them (Date, Session Name AM/PM,
    # Mark); in CSV from the report designer, or XML from CommandReporter (casework/mis_xml.py).
    "sims": Layout(
        "SIMS",
        {
            "upn": ("UPN",),
            "date": ("Date", "Attendance Date", "Session Date"),
            "session": ("Session", "Session Name", "AM/PM"),
            "code": ("Mark", "Attendance Mark", "Code"),
        },
        (*_UK, *_XML),
    ),
    # Arbor: statutory AM and PM marks are its "Roll Call" marks.
    "arbor": Layout(
        "Arbor",
        {
            "upn": ("UPN", "Student UPN"),
            "date": ("Date", "Session Date", "Roll Call Date"),
            "session": ("Session", "Session Name", "Roll Call"),
            "code": ("Attendance Mark", "Mark Code", "Mark", "Roll Call Mark"),
        },
        (*_UK, "%Y-%m-%d"),
    ),
    "bromcom": Layout(
        "Bromcom",
        {
            "upn": ("UPN", "Student UPN"),
            "date": ("Session Start", "Session Date", "Date"),
            "session": ("Session", "AM/PM"),
            "code": ("Code", "Attendance Code", "Mark"),
        },
        _UK,
    ),
}
_ISO = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class MisError(ValueError):
    """A problem with the options or the file as a whole: one line."""


def _key(header: str) -> str:
    return "".join(header.lower().split())


def custom_layout(spec: str, base: Layout | None) -> Layout:
    """`upn=UPN,date=Date,session=Session,code=Mark`: any export's own column names."""
    columns = dict(base.columns) if base else {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        ours, _, theirs = part.partition("=")
        if ours.strip() not in FIELDS or not theirs.strip():
            raise MisError(
                f"--columns: {part!r} is not FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        columns[ours.strip()] = (theirs.strip(),)
    missing = [f for f in FIELDS if f not in columns and f != "session"]
    if missing:
        raise MisError(f"--columns: say which column holds {', '.join(missing)}")
    return Layout(base.name if base else "custom", columns, base.date_formats if base else _ISO)


def local_codes(name: str, data: bytes) -> dict[str, str]:
    """A school's own letters: a CSV `local,code` (header row), each code in the 2024 set."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MisError(f"{name}:1: encoding: a codes file is UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    if [h.strip().lower() for h in reader.fieldnames or []][:2] != ["local", "code"]:
        raise MisError(f"{name}:1: header: a codes file has the columns local,code")
    out = {}
    for row in reader:
        local, code = (row.get("local") or "").strip(), (row.get("code") or "").strip()
        try:
            out[local] = parse_code(code).code
        except CodeError as e:
            raise MisError(f"{name}:{reader.line_num}: code: {e}") from None
    return out


def decode(name: str, data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), else Windows-1252,
    which Excel writes when it saves CSV."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise MisError(
            f"{name}:{line}: encoding: byte 0x{data[e.start]:02x} is neither UTF-8 nor "
            "Windows-1252: export the file as CSV UTF-8"
        ) from None


def separator(header_line: str) -> str:
    """`,`, `;` (Excel in a locale with decimal commas) or a tab: the one the header uses."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


@dataclass
class _Reader:
    name: str
    layout: Layout
    school: str
    codes: Mapping[str, str]
    date_formats: tuple[str, ...]
    index: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # our field -> their header

    def locate(self, header: list[str]) -> None:
        keys = [_key(h) for h in header]
        for ours, theirs in self.layout.columns.items():
            found = next((keys.index(_key(t)) for t in theirs if _key(t) in keys), None)
            if found is not None:
                self.index[ours], self.headers[ours] = found, header[found].strip()
        missing = [
            " or ".join(repr(t) for t in self.layout.columns[f])
            for f in ("upn", "date", "code")
            if f not in self.index
        ]
        if missing:
            raise MisError(
                f"{self.name}:1: header: no column {', '.join(missing)} in this "
                f"{self.layout.name} export (it has {', '.join(header)}); "
                "name them with --columns upn=…,date=…,session=…,code=…"
            )

    def _cell(self, row: list[str], ours: str) -> str:
        i = self.index.get(ours)
        return row[i].strip() if i is not None and i < len(row) else ""

    def when(self, row: list[str]) -> tuple[datetime, bool]:
        """The date (and time, when given), and whether a time was given."""
        value = self._cell(row, "date")
        for fmt in self.date_formats:
            try:
                when = datetime.strptime(value, fmt)
            except ValueError:
                continue
            if (why := out_of_range(when.date())) is not None:
                raise _RowError(self.headers["date"], why)
            # midnight is a date written as a date-time, not a session's start
            return when.replace(tzinfo=None), "%H" in fmt and (when.hour, when.minute) != (0, 0)
        shown = " or ".join(_human(f) for f in self.date_formats[:2])
        raise _RowError(self.headers["date"], f"{value!r} is not a date ({shown})")

    def session(self, row: list[str], when: datetime, timed: bool) -> str:
        if "session" not in self.index:
            if not timed:
                raise _RowError(self.headers["date"], "has no time and there is no session column")
            return "AM" if when.hour < 12 else "PM"  # the session's start time says which
        value = self._cell(row, "session")
        words = set(re.findall(r"[a-z]+", value.lower()))  # "AM", "Morning", "AM Roll Call"
        am, pm = bool(words & {"am", "morning"}), bool(words & {"pm", "afternoon"})
        if am != pm:
            return "AM" if am else "PM"
        raise _RowError(self.headers["session"], f"{value!r} is neither AM nor PM")

    def code(self, row: list[str]) -> str:
        value = self._cell(row, "code")
        try:
            return parse_code(self.codes.get(value, value)).code
        except CodeError as e:
            hint = "" if value in self.codes else " (a school's own letter: map it with --codes)"
            raise _RowError(self.headers["code"], f"{e}{hint}") from None

    def upn(self, row: list[str]) -> str:
        value = self._cell(row, "upn").upper()
        if not value:
            raise _RowError(self.headers["upn"], "is empty")
        return value

    def mark(self, row: list[str]) -> MarkRow:
        when, timed = self.when(row)
        session = self.session(row, when, timed)
        return MarkRow(self.upn(row), self.school, when.date(), session, self.code(row))


def _human(fmt: str) -> str:
    for a, b in (
        ("%d", "DD"),
        ("%m", "MM"),
        ("%Y", "YYYY"),
        ("%y", "YY"),
        ("%H", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
    ):
        fmt = fmt.replace(a, b)
    return fmt


class _RowError(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        self.column, self.reason = column, reason
        super().__init__(reason)


def _csv_rows(
    name: str, data: bytes
) -> tuple[list[str], Iterator[tuple[int, list[str]]], list[str]]:
    text, encoding = decode(name, data)
    notes = [] if encoding == "UTF-8" else [f"{name}: read as {encoding} (not UTF-8)"]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise MisError(f"{name}:1: header: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(lines[0]))
    header = next(reader)

    def rows() -> Iterator[tuple[int, list[str]]]:
        last = reader.line_num
        for row in reader:
            yield last + 1, row
            last = reader.line_num

    return header, rows(), notes


def _rows(name: str, data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]], list[str]]:
    """The header and numbered rows of a CSV export, or of SIMS's CommandReporter XML."""
    if not is_xml(data):
        return _csv_rows(name, data)
    try:
        header, records = report_rows(name, data)
    except ReportError as e:
        raise MisError(str(e)) from None
    return header, iter(records), []


def parse_export(
    name: str,
    data: bytes,
    layout: Layout,
    school: str,
    codes: Mapping[str, str] | None = None,
    date_format: str | None = None,
    tick: Callable[[int], None] | None = None,
) -> tuple[Parsed, list[str]]:
    """The export's rows as marks rows, every bad row a problem; and notes on how it was read."""
    header, rows, notes = _rows(name, data)
    formats = (date_format,) if date_format else layout.date_formats
    r = _Reader(name, layout, school, codes or {}, formats)
    r.locate(header)
    out = Parsed()
    for n, (line, row) in enumerate(rows, start=1):
        if tick is not None and n % 5000 == 0:
            tick(5000)
        if not any(v.strip() for v in row):
            continue
        try:
            out.rows.append((line, r.mark(row)))
        except _RowError as e:
            out.problems.append(f"{name}:{line}: {e.column}: {e.reason}")
    if not out.rows and not out.problems:
        out.problems.append(f"{name}:2: -: no rows after the header")
    return out, notes
