"""Import a DfE Common Transfer File: the pupils, and their earlier schools' registers.

All or nothing, as every import: any problem rejects the file and the database is untouched.
The XML is read with defusedxml: no DTD, no entity, nothing fetched, and never more than
MAX_BYTES. attendance/ctf.py turns the parsed tree into records; this stores them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from attendance.ctf import CtfError, CtfFile, CtfPupil, CtfSchool, read, school_day_ranges
from casework.errors import ImportRejected
from casework.imports import (
    ImportSummary,
    not_school_days,
    record_import,
    sorted_problems,
    store_rows,
)
from casework.mark_columns import MarkColumns
from casework.ports import UnitOfWork
from casework.records import CalendarRow, Change, MarkRow, PupilRow, SchoolRow

# A school's CTF for a whole year group is a few megabytes; anything far larger is not a CTF.
MAX_BYTES = 64 * 1024 * 1024
# The DfE's codes for the local authorities whose rules are built in (attendance/authorities.py).
LA_NAMES = {"881": "Essex", "926": "Norfolk"}


class _Line(ET.Element):
    sourceline = 0


class _LineBuilder(ET.TreeBuilder):
    """Keeps the line each element starts on, so a problem names its line."""

    def __init__(self) -> None:
        super().__init__(element_factory=_Line)
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        element.sourceline = self.parser.parser.CurrentLineNumber  # type: ignore[attr-defined]
        return element


def check_size(name: str, size: int) -> None:
    """Refuse a file too large to be a CTF before reading it."""
    if size > MAX_BYTES:
        raise ImportRejected(
            [
                f"{name}:1: -: the file is {size // 2**20} MB; a CTF over "
                f"{MAX_BYTES // 2**20} MB is refused"
            ]
        )


def parse_xml(name: str, data: bytes) -> ET.Element:
    """The CTF's root element, or ImportRejected with one line saying why not."""
    check_size(name, len(data))
    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except DefusedXmlException as e:
        raise ImportRejected(
            [
                f"{name}:1: -: refused: the file declares a DTD or entities ({type(e).__name__}); "
                "a Common Transfer File has none"
            ]
        ) from None
    except ET.ParseError as e:
        line = e.position[0] if e.position else 1
        raise ImportRejected([f"{name}:{line}: -: not well-formed XML: {e}"]) from None
    return root


def read_ctf(name: str, data: bytes) -> CtfFile:
    try:
        ctf = read(parse_xml(name, data))
    except CtfError as e:
        raise ImportRejected([f"{name}:{e.line or 1}: {e.where}: {e.reason}"]) from None
    if ctf.problems:
        raise ImportRejected(
            sorted_problems([f"{name}:{line}: {f}: {why}" for line, f, why in ctf.problems])
        )
    return ctf


def _urn(s: CtfSchool) -> str:
    # Without a URN in the file the school is known by its DfE number (7 digits; a URN has 6).
    return s.urn or s.dfe_number


def _school_row(s: CtfSchool) -> SchoolRow:
    la = LA_NAMES.get(s.lea, f"LA {s.lea}" if s.lea else "unknown")
    return SchoolRow(_urn(s), s.name or f"School {s.dfe_number}", la)


def _destination(name: str, ctf: CtfFile, school: str | None) -> str:
    if school:
        return school
    if ctf.destination is not None and ctf.destination.urn:
        return ctf.destination.urn
    raise ImportRejected(
        [f"{name}:1: DestSchool: the file names no destination URN: give --school URN"]
    )


def _marks(p: CtfPupil) -> list[MarkRow]:
    return [
        MarkRow(p.upn, _urn(y.school), s.day, s.session, s.code)
        for y in p.years
        for s in y.sessions
    ]


def _flag_warnings(name: str, pupils: list[CtfPupil]) -> list[str]:
    """One line per pupil and kind of flag: what the file could not say precisely."""
    out = []
    for p in pupils:
        flagged: dict[str, list[date]] = defaultdict(list)
        for y in p.years:
            for s in y.sessions:
                if s.flag:
                    flagged[s.flag].append(s.day)
        for why, days in flagged.items():
            out.append(
                f"{name}: check: pupil {p.upn}: {len(days)} session(s) from {days[0]} to "
                f"{days[-1]} kept as recorded: {why}"
            )
    return out


async def _calendar_rows(
    uow: UnitOfWork, marks: list[MarkRow], destination: str
) -> list[CalendarRow]:
    """The days an earlier school had in session, from its marks, where its calendar does not
    already have them (the destination's own calendar is its own to import)."""
    days: dict[str, set[date]] = defaultdict(set)
    for m in marks:
        if m.school_urn != destination:
            days[m.school_urn].add(m.day)
    rows = []
    for urn, in_session in days.items():
        calendar = await uow.registry.calendar(urn)
        missing = [d for d in in_session if not calendar.is_school_day(d)]
        rows += [CalendarRow(urn, "term", s, e) for s, e in school_day_ranges(missing)]
    return rows


async def import_ctf(
    uow: UnitOfWork, name: str, data: bytes, school: str | None, actor: str, now: datetime
) -> ImportSummary:
    """Pupils to `school` (default: the file's DestSchool), their earlier years' marks under the
    school that recorded each year (created, with the days it was in session, if unknown)."""
    ctf = read_ctf(name, data)
    destination = _destination(name, ctf, school)
    pupils = [
        PupilRow(p.upn, p.forename, p.surname, p.date_of_birth, destination, p.year_group)
        for p in ctf.pupils
    ]
    marks = [m for p in ctf.pupils for m in _marks(p)]
    schools = {_urn(y.school): y.school for p in ctf.pupils for y in p.years}
    async with uow:
        if not await uow.registry.school_urns([destination]):
            raise ImportRejected([f"{name}:1: DestSchool: unknown school {destination!r}"])
        known = await uow.registry.school_urns(schools)
        new = [_school_row(s) for urn, s in sorted(schools.items()) if urn not in known]
        changes: list[Change] = await uow.registry.upsert_schools(new)
        changes += await uow.registry.add_calendar(await _calendar_rows(uow, marks, destination))
        problems = await not_school_days(
            uow, name, MarkColumns.numbered((p.line, m) for p in ctf.pupils for m in _marks(p))
        )
        if problems:
            raise ImportRejected(sorted_problems(problems))
        changes += await uow.registry.upsert_pupils(pupils)
        stored, corrections, warnings = await store_rows(uow, "marks", marks, name, now)
        changed = len(changes) + stored
        corrected = [c for c in changes if c.old] + corrections
        await record_import(uow, "ctf", name, data, len(pupils), changed, corrected, actor, now)
    return ImportSummary(
        "ctf", len(pupils), changed, tuple(warnings + _flag_warnings(name, ctf.pupils))
    )
