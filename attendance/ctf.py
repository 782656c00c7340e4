"""The DfE Common Transfer File (CTF), read into plain records: pure, the XML already parsed.

Element names and nesting as the DfE's CTF gives them (docs/imports.md names the sources: an MIS
vendor's CTF import and the DfE's own CTF writer; CTF 25 writes `Sex`, earlier files `Gender`),
matched case-insensitively:

    CTfile/Header/CTFversion, SourceSchool/{LEA, Estab, URN, SchoolName}, DestSchool/{…}
    CTfile/CTFpupilData/Pupil/{UPN, Surname, Forename, DOB, Sex|Gender, BasicDetails/NCyearActual}
    Pupil/Attendance/YearData/{Year, LEA, Estab, URN?, SchoolName, SessionsPossible, …,
                               AttendSessions/{AttendanceStartDate, AttendanceMarks}}
    Pupil/SchoolHistory/School/{LEA, Estab, URN, SchoolName, EntryDate, LeavingDate}

`AttendanceMarks` holds one character per session, two per calendar day (AM then PM), from
`AttendanceStartDate`. A day not in session (`-`, `#`, a space) is no school session and gives no
mark. A year given as totals only (no AttendSessions) brings no marks.

The marks string has one character per session, so the 2024 codes of two characters cannot be
written in it as such (docs/imports.md says what we read and why):
- `J` after 19 August 2024 can only be J1 (the one J code left): stored as J1;
- `C` may be C, C1 or C2 and `Y` any of Y1 to Y7: kept as the file says and flagged. A `Y` is
  stored as `Y`: not unauthorised, not counted, and it does not hide the week (the pupil had
  a session, whatever stopped them attending it);
- before 19 August 2024 the old single letters (H, J, F, Y) were the law: kept as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from attendance.calendar import out_of_range
from attendance.codes import CODES
from attendance.upn import upn_problem

# The 2024 regulations' code set applies to sessions from this day.
CODES_2024_FROM = date(2024, 8, 19)
# Characters that mean "no session that day" in the marks string.
NOT_IN_SESSION = frozenset("-# .")
# Single letters the pre-2024 code set used and the 2024 one withdrew: kept as recorded.
LEGACY = frozenset("HJFY")
# Ambiguous in a one-character string: kept, and the session flagged for staff to check.
FLAGGED = {
    "C": "C may stand for C, C1 or C2 (the CTF carries one character per session)",
    "Y": "Y may stand for any of Y1 to Y7 (the CTF carries one character per session)",
}


class Element(Protocol):
    """What we use of an xml.etree element (defusedxml returns those)."""

    tag: str
    text: str | None

    def __iter__(self) -> Iterator[Element]: ...


class CtfError(ValueError):
    def __init__(self, where: str, reason: str, line: int = 0) -> None:
        self.where, self.reason, self.line = where, reason, line
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class CtfSchool:
    lea: str
    estab: str
    urn: str | None
    name: str | None

    @property
    def dfe_number(self) -> str:
        """The DfE establishment number, LA code and establishment (e.g. 8812001)."""
        return f"{self.lea}{self.estab}"

    def describe(self) -> str:
        return self.name or f"DfE {self.lea}/{self.estab}"


@dataclass(frozen=True)
class CtfSession:
    day: date
    session: str  # AM | PM
    code: str
    flag: str | None = None  # why staff should check it


@dataclass(frozen=True)
class CtfYear:
    year: str
    school: CtfSchool
    sessions: tuple[CtfSession, ...]
    totals_only: bool


@dataclass(frozen=True)
class CtfPupil:
    upn: str
    forename: str
    surname: str
    date_of_birth: date
    year_group: str
    sex: str | None
    years: tuple[CtfYear, ...]
    line: int = 0


@dataclass
class CtfFile:
    version: str
    source: CtfSchool
    destination: CtfSchool | None
    pupils: list[CtfPupil] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)


def _name(e: Element) -> str:
    return e.tag.rsplit("}", 1)[-1].lower()  # namespaces are not used by the CTF, but allowed


def _line(e: Element) -> int:
    return int(getattr(e, "sourceline", 0) or 0)


def child(e: Element, name: str) -> Element | None:
    wanted = name.lower()
    return next((c for c in e if _name(c) == wanted), None)


def children(e: Element, name: str) -> list[Element]:
    wanted = name.lower()
    return [c for c in e if _name(c) == wanted]


def text(e: Element | None, name: str) -> str | None:
    found = child(e, name) if e is not None else None
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def _required(e: Element, name: str) -> str:
    value = text(e, name)
    if value is None:
        raise CtfError(name, "is missing or empty", _line(e))
    return value


def _date(e: Element, name: str) -> date:
    value = _required(e, name)
    try:
        day = date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("bad")
    except ValueError:
        raise CtfError(name, f"{value!r} is not a date (YYYY-MM-DD)", _line(e)) from None
    if (why := out_of_range(day)) is not None:
        raise CtfError(name, why, _line(e))
    return day


def school(e: Element | None) -> CtfSchool | None:
    if e is None:
        return None
    return CtfSchool(
        text(e, "LEA") or "", text(e, "Estab") or "", text(e, "URN"), text(e, "SchoolName")
    )


def session_marks(start: date, marks: str) -> list[CtfSession]:
    """The sessions a marks string records from `start`: two characters a day, AM then PM."""
    if len(marks) > 2 * 731:  # a YearData is one school year
        raise CtfError("AttendanceMarks", f"has {len(marks)} characters: more than two years")
    if len(marks) % 2:
        raise CtfError("AttendanceMarks", f"has {len(marks)} characters: two a day are expected")
    out = []
    for i, ch in enumerate(marks):
        if ch in NOT_IN_SESSION:
            continue
        day, session = start + timedelta(days=i // 2), "AM" if i % 2 == 0 else "PM"
        out.append(_session(day, session, ch))
    return out


def _session(day: date, session: str, ch: str) -> CtfSession:
    code = ch.upper() if ch not in ("/", "\\") else ch
    if day < CODES_2024_FROM and code in LEGACY:
        return CtfSession(day, session, code)
    if code == "J":
        return CtfSession(day, session, "J1")
    if code in FLAGGED:
        return CtfSession(day, session, code, FLAGGED[code])
    if code not in CODES or len(code) != 1:
        raise CtfError("AttendanceMarks", f"{ch!r} on {day} {session} is not a register code")
    return CtfSession(day, session, code)


def _year(e: Element, source: CtfSchool, history: list[CtfSchool]) -> CtfYear:
    lea, estab = text(e, "LEA") or "", text(e, "Estab") or ""
    recorded = CtfSchool(lea, estab, text(e, "URN"), text(e, "SchoolName"))
    if not lea and not estab:
        recorded = source  # a year without its school is the sending school's
    elif recorded.urn is None:
        known = [s for s in [source, *history] if s.dfe_number == recorded.dfe_number and s.urn]
        if known:
            recorded = CtfSchool(lea, estab, known[0].urn, recorded.name or known[0].name)
    found = child(e, "AttendSessions")
    sessions_at = found if found is not None else e
    marks = text(sessions_at, "AttendanceMarks")
    if marks is None:
        return CtfYear(text(e, "Year") or "", recorded, (), True)
    start = _date(sessions_at, "AttendanceStartDate")
    try:
        sessions = session_marks(start, marks)
    except CtfError as err:
        raise CtfError(err.where, err.reason, _line(sessions_at)) from None
    return CtfYear(text(e, "Year") or "", recorded, tuple(sessions), False)


def pupil(e: Element, source: CtfSchool) -> CtfPupil:
    upn = _required(e, "UPN").upper()
    if problem := upn_problem(upn):
        at = child(e, "UPN")
        # A wrong UPN does not find the pupil: their name does, for the sending school to check.
        who = " ".join(n for n in (text(e, "Forename"), text(e, "Surname")) if n)
        reason = f"{problem} (pupil {who})" if who else problem
        raise CtfError("UPN", reason, _line(at) if at is not None else _line(e))
    details = child(e, "BasicDetails")
    year_group = text(details, "NCyearActual") or text(e, "NCyearActual")
    if year_group is None:
        raise CtfError("NCyearActual", f"pupil {upn} has no year group", _line(e))
    past = child(e, "SchoolHistory")
    history = [
        s for h in (children(past, "School") if past is not None else []) if (s := school(h))
    ]
    attendance = child(e, "Attendance")
    found = children(attendance, "YearData") if attendance is not None else []
    years = [_year(y, source, history) for y in found]
    return CtfPupil(
        upn,
        _required(e, "Forename"),
        _required(e, "Surname"),
        _date(e, "DOB"),
        year_group,
        text(e, "Sex") or text(e, "Gender"),
        tuple(years),
        _line(e),
    )


def read(root: Element) -> CtfFile:
    """The file's pupils; a pupil that cannot be read is a problem, the rest still read (the
    import then rejects the whole file, naming every problem)."""
    if _name(root) != "ctfile":
        raise CtfError(root.tag, "is not a Common Transfer File (the root element is CTfile)")
    header = child(root, "Header")
    if header is None:
        raise CtfError("Header", "is missing", _line(root))
    source = school(child(header, "SourceSchool"))
    if source is None:
        raise CtfError("SourceSchool", "is missing from the header", _line(header))
    out = CtfFile(text(header, "CTFversion") or "", source, school(child(header, "DestSchool")))
    data = child(root, "CTFpupilData")
    for p in children(data, "Pupil") if data is not None else []:
        try:
            out.pupils.append(pupil(p, source))
        except CtfError as err:
            upn = text(p, "UPN")
            who = f" (pupil {upn})" if upn and err.where != "UPN" else ""
            out.problems.append((err.line or _line(p), err.where, err.reason + who))
    return out


def school_day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days in session as term ranges: consecutive school days, bridging weekends only."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges:
            start, end = ranges[-1]
            gap = [end + timedelta(days=i) for i in range(1, (day - end).days)]
            if all(d.weekday() >= 5 for d in gap):
                ranges[-1] = (start, day)
                continue
        ranges.append((day, day))
    return ranges
