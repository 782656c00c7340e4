"""Importing a Common Transfer File: the pupils, every mark of their earlier school under that
school, the threshold counting them here; malicious or wrong files refused, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from casework.ctf import import_ctf
from casework.errors import ImportRejected
from casework.imports import import_csv
from casework.thresholds import threshold_report
from supportfirst.bootstrap import App
from tests import builders as b
from tests import ctfs as c
from tests.conftest import dump

NOW = datetime(2024, 11, 20, 16, 0, tzinfo=UTC)
AUTUMN = (date(2024, 9, 2), date(2024, 10, 27))  # a Monday to the Sunday of half-term week 1
YEAR = (date(2024, 9, 2), date(2025, 7, 27))  # the 2024/25 school year of tests/builders.py
OCTOBER_O = {(date(2024, 10, d), s): "O" for d in (21, 22, 23) for s in ("AM", "PM")}
A_Y = {(date(2024, 10, 24), "AM"): "Y"}
AMPM = ("AM", "PM")


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


@pytest.fixture
async def here(app: App) -> App:
    """School A (Essex) with its calendar; the sending school is not known here."""
    await load(app, "schools", b.schools())
    await load(app, "calendar", b.calendar())
    return app


def moved() -> c.Pupil:
    """Two years: 2023/24 as totals only, 2024/25 autumn with 6 O sessions and a Y."""
    marks = c.marks_string(*AUTUMN, {**OCTOBER_O, **A_Y})
    return c.Pupil(c.UPN_MOVED, years=[c.Year("2023"), c.Year("2024", AUTUMN[0], marks)])


async def stored_marks(app: App) -> set[tuple[str, ...]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(text("SELECT upn, school_urn, day, session, code FROM mark"))
        return {(r[0], r[1], str(r[2]), r[3], r[4]) for r in rows.all()}


def expected(
    upn: str, absent: dict[tuple[date, str], str], days: tuple[date, date] = AUTUMN
) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for d in b.school_days(*days):
        for session, present in (("AM", "/"), ("PM", "\\")):
            out.add((upn, c.OLD_URN, d.isoformat(), session, absent.get((d, session), present)))
    return out


async def test_every_mark_of_the_earlier_school_is_stored_under_it(here: App) -> None:
    other = c.Pupil(
        c.UPN_OTHER,
        "Kit",
        "Moss",
        sex_tag="Gender",
        years=[c.Year("2024", YEAR[0], c.marks_string(*YEAR))],
    )
    summary = await import_ctf(here.uow(), "in.xml", c.ctf([moved(), other]), None, "me", NOW)
    assert summary.rows == 2
    # A whole school year for the other pupil: half-terms, the INSET day, weekends give no mark.
    want = expected(c.UPN_MOVED, {**OCTOBER_O, **A_Y}) | expected(c.UPN_OTHER, {}, YEAR)
    assert await stored_marks(here) == want
    assert (c.UPN_OTHER, c.OLD_URN, "2025-01-06", "AM", "/") not in want  # the INSET day
    async with here.uow() as uow:
        school = await uow.registry.school(c.OLD_URN)
        pupil = await uow.registry.pupil(c.UPN_MOVED)
        calendar = await uow.registry.calendar(c.OLD_URN)
    assert school is not None and (school.name, school.local_authority) == (c.OLD_NAME, "LA 935")
    assert pupil is not None and (pupil.school_urn, pupil.year_group) == (b.SCHOOL_A, "5")
    # Its school days are exactly the days its marks string shows in session, weekends,
    # half-terms and the INSET day being no session.
    whole_year = [YEAR[0] + timedelta(days=i) for i in range((YEAR[1] - YEAR[0]).days + 1)]
    assert [d for d in whole_year if calendar.is_school_day(d)] == b.school_days(*YEAR)
    assert any("Y may stand for any of Y1 to Y7" in w for w in summary.warnings)


@pytest.mark.parametrize("change", [str.upper, str.lower], ids=["UPPER", "lower"])
async def test_element_names_are_matched_whatever_their_case(
    here: App, change: Callable[[str], str]
) -> None:
    other = c.Pupil(c.UPN_OTHER, "Kit", "Moss", sex_tag="Gender")
    data = c.recased(c.ctf([moved(), other]), change)
    summary = await import_ctf(here.uow(), "in.xml", data, None, "me", NOW)
    assert summary.rows == 2
    assert await stored_marks(here) == expected(c.UPN_MOVED, {**OCTOBER_O, **A_Y})


async def test_the_previous_schools_absence_meets_the_threshold_here_on_the_right_day(
    here: App,
) -> None:
    await load(here, "pupils", b.pupils(c.UPN_MOVED))
    await import_ctf(here.uow(), "in.xml", c.ctf([moved()]), None, "me", NOW)
    absent = [(date(2024, 11, d), s) for d in (11, 12) for s in ("AM", "PM")]
    rows = b.marks(c.UPN_MOVED, date(2024, 11, 4), date(2024, 11, 15), absent=absent, code="O")
    await load(here, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    before = await threshold_report(here.uow(), date(2024, 11, 11), True)
    on = await threshold_report(here.uow(), date(2024, 11, 12), False)
    assert [(r.unauthorised_sessions, r.met) for r in before] == [(8, False)]
    assert [(r.upn, r.unauthorised_sessions, r.window_start) for r in on] == [
        (c.UPN_MOVED, 10, date(2024, 9, 2))
    ]


async def test_a_y_from_a_ctf_counts_as_a_school_session_not_as_absence(here: App) -> None:
    only_y = {
        (d, s): "Y" for d in b.school_days(date(2024, 9, 2), date(2024, 9, 6)) for s in ("AM", "PM")
    }
    year = c.Year("2024", AUTUMN[0], c.marks_string(*AUTUMN, only_y))
    await import_ctf(
        here.uow(), "in.xml", c.ctf([c.Pupil(c.UPN_MOVED, years=[year])]), None, "me", NOW
    )
    async with here.uow() as uow:
        weeks = await uow.marks.for_pupil(c.UPN_MOVED)
    assert {m.code for m in weeks if m.day < date(2024, 9, 9)} == {"Y"}
    report = await threshold_report(here.uow(), date(2024, 11, 8), True)
    assert report == []  # nothing counted: a Y is neither unauthorised nor attendance


async def test_a_week_of_y_at_the_earlier_school_is_a_school_week_of_the_window(
    here: App,
) -> None:
    """2 O there in the first week, a week of Y, 8 O here in November: the Y week keeps the
    first week out of the window once a later week comes in (hiding it would let it back)."""
    first_week_o = {(date(2024, 9, 4), s): "O" for s in ("AM", "PM")}
    y_week = {(d, s): "Y" for d in b.school_days(date(2024, 9, 9), date(2024, 9, 13)) for s in AMPM}
    marks = c.marks_string(*AUTUMN, {**first_week_o, **y_week})
    pupil = c.Pupil(c.UPN_MOVED, years=[c.Year("2024", AUTUMN[0], marks)])
    await load(here, "pupils", b.pupils(c.UPN_MOVED))
    await import_ctf(here.uow(), "in.xml", c.ctf([pupil]), None, "me", NOW)
    absent = [(date(2024, 11, d), s) for d in (11, 12, 13, 14) for s in AMPM]
    rows = b.marks(c.UPN_MOVED, date(2024, 11, 4), date(2024, 11, 22), absent=absent, code="O")
    await load(here, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    friday = await threshold_report(here.uow(), date(2024, 11, 15), True)
    week_on = await threshold_report(here.uow(), date(2024, 11, 22), True)
    assert [(r.unauthorised_sessions, r.met, r.window_start) for r in friday] == [
        (10, True, date(2024, 9, 2))
    ]
    # The Y sessions are neither unauthorised (18) nor a week without school (window from 2 Sep).
    assert [(r.unauthorised_sessions, r.met, r.window_start) for r in week_on] == [
        (8, False, date(2024, 9, 9))
    ]


async def test_reimporting_the_same_ctf_changes_nothing(here: App) -> None:
    data = c.ctf([moved()])
    first = await import_ctf(here.uow(), "in.xml", data, None, "me", NOW)
    again = await import_ctf(here.uow(), "in.xml", data, None, "me", NOW)
    assert first.changed > 0 and again.changed == 0


BAD = [
    (
        "billion laughs",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;&lol;">]><CTfile>&lol2;</CTfile>',
        "in.xml:1: -: refused: the file declares a DTD or entities (DTDForbidden); a Common "
        "Transfer File has none",
    ),
    (
        "external entity",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<CTfile>&e;</CTfile>",
        "in.xml:1: -: refused: the file declares a DTD or entities (DTDForbidden); a Common "
        "Transfer File has none",
    ),
    (
        "not XML",
        b"<CTfile><Header></CTfile>",
        "in.xml:1: -: not well-formed XML: mismatched tag: line 1, column 18",
    ),
    (
        "wrong check letter",
        c.ctf([c.Pupil(c.UPN_BAD)]),
        f"in.xml:6: UPN: '{c.UPN_BAD}' has the check letter A but its digits call for L "
        "(pupil Robin Hale)",
    ),
]


@pytest.mark.parametrize(("data", "problem"), [x[1:] for x in BAD], ids=[x[0] for x in BAD])
async def test_a_bad_or_malicious_file_is_refused_and_nothing_is_stored(
    here: App, data: bytes, problem: str
) -> None:
    before = await dump(here)
    with pytest.raises(ImportRejected) as e:
        await import_ctf(here.uow(), "in.xml", data, None, "me", NOW)
    assert e.value.problems == [problem]
    assert await dump(here) == before


async def test_a_ctf_without_a_destination_needs_the_school(here: App) -> None:
    with pytest.raises(ImportRejected) as e:
        await import_ctf(here.uow(), "in.xml", c.ctf([moved()], dest_urn=None), None, "me", NOW)
    assert e.value.problems == [
        "in.xml:1: DestSchool: the file names no destination URN: give --school URN"
    ]
    summary = await import_ctf(here.uow(), "in.xml", c.ctf([moved()], None), b.SCHOOL_A, "me", NOW)
    assert summary.rows == 1


async def test_a_file_too_large_to_be_a_ctf_is_refused_before_it_is_read(
    here: App, tmp_path: Path
) -> None:
    from supportfirst.importing import ImportRequest, import_file

    huge = tmp_path / "huge.xml"
    with huge.open("wb") as f:
        f.truncate(65 * 2**20)  # sparse: nothing to write, and nothing must be read
    with pytest.raises(ImportRejected) as e:
        await import_file(here, ImportRequest("ctf", huge, label="huge.xml"))
    assert e.value.problems == ["huge.xml:1: -: the file is 65 MB; a CTF over 64 MB is refused"]
