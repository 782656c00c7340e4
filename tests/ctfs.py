"""Common Transfer Files for tests, written as the DfE's CTF specification lays them out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape

from tests import builders as b

# Valid UPNs (their check letters computed by the DfE's rule).
UPN_MOVED, UPN_OTHER, UPN_BAD = "P123456789013", "L201234567890", "A201234567890"
# The sending school: in another local authority (Suffolk, LA 935), unknown here.
OLD_LEA, OLD_ESTAB, OLD_URN, OLD_NAME = "935", "2001", "124000", "Orwell Primary"


def marks_string(
    start: date, end: date, absent: Mapping[tuple[date, str], str] | None = None
) -> str:
    """Two characters a day from `start` to `end`: `-` where the school (b.TERMS) is not open,
    present otherwise, except `absent` {(day, 'AM'|'PM'): code}."""
    absent = absent or {}
    open_days = set(b.school_days(start, end))
    out, d = [], start
    while d <= end:
        for session, present in (("AM", "/"), ("PM", "\\")):
            out.append(absent.get((d, session), present) if d in open_days else "-")
        d += timedelta(days=1)
    return "".join(out)


@dataclass
class Year:
    year: str
    start: date | None = None  # None: totals only
    marks: str = ""
    lea: str = OLD_LEA
    estab: str = OLD_ESTAB
    name: str = OLD_NAME

    def xml(self) -> str:
        sessions = (
            f"<AttendSessions><AttendanceStartDate>{self.start}</AttendanceStartDate>"
            f"<AttendanceMarks>{self.marks}</AttendanceMarks></AttendSessions>"
            if self.start
            else ""
        )
        return (
            f"<YearData><Year>{self.year}</Year><LEA>{self.lea}</LEA><Estab>{self.estab}</Estab>"
            f"<SchoolName>{escape(self.name)}</SchoolName><SessionsPossible>300</SessionsPossible>"
            "<SessionsAuthorised>4</SessionsAuthorised><SessionsAttended>290</SessionsAttended>"
            f"<SessionsUnauthorised>6</SessionsUnauthorised>{sessions}</YearData>"
        )


@dataclass
class Pupil:
    upn: str
    forename: str = "Robin"
    surname: str = "Hale"
    dob: str = "2015-05-01"
    year_group: str = "5"
    years: list[Year] = field(default_factory=list)
    sex_tag: str = "Sex"

    def xml(self) -> str:
        years = "".join(y.xml() for y in self.years)
        return (
            f"<Pupil>\n<UPN>{self.upn}</UPN><Surname>{self.surname}</Surname>"
            f"<Forename>{self.forename}</Forename><DOB>{self.dob}</DOB>"
            f"<{self.sex_tag}>F</{self.sex_tag}>"
            f"<BasicDetails><NCyearActual>{self.year_group}</NCyearActual></BasicDetails>\n"
            f"<Attendance>{years}</Attendance>\n"
            f"<SchoolHistory><School><LEA>{OLD_LEA}</LEA><Estab>{OLD_ESTAB}</Estab>"
            f"<URN>{OLD_URN}</URN><SchoolName>{OLD_NAME}</SchoolName>"
            "<EntryDate>2020-09-01</EntryDate><LeavingDate>2024-10-25</LeavingDate></School>"
            "</SchoolHistory>\n</Pupil>\n"
        )


def ctf(pupils: Iterable[Pupil], dest_urn: str | None = b.SCHOOL_A, version: str = "25.0") -> bytes:
    dest = f"<URN>{dest_urn}</URN>" if dest_urn else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>\n<Header>'
        f"<DocumentName>Common Transfer File</DocumentName><CTFversion>{version}</CTFversion>"
        "<DateTime>2024-11-01T10:00:00</DateTime><DocumentQualifier>full</DocumentQualifier>"
        f"<SourceSchool><LEA>{OLD_LEA}</LEA><Estab>{OLD_ESTAB}</Estab><URN>{OLD_URN}</URN>"
        f"<SchoolName>{OLD_NAME}</SchoolName><AcademicYear>2024</AcademicYear></SourceSchool>"
        f"<DestSchool><LEA>881</LEA><Estab>2100</Estab>{dest}</DestSchool>"
        "</Header>\n<CTFpupilData>\n" + "".join(p.xml() for p in pupils) + "</CTFpupilData>\n"
        "</CTfile>\n"
    ).encode()


def recased(data: bytes, change: Callable[[str], str]) -> bytes:
    """The same file with every element name's case changed (`str.upper`, `str.lower`…): MIS
    exports differ (One Education writes `CTFVersion`), and names are matched without case."""
    return re.sub(
        rb"<(/?)([A-Za-z][\w.-]*)", lambda m: b"<" + m[1] + change(m[2].decode()).encode(), data
    )
