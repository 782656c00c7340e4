"""Importing the five CSV files: all or nothing, every problem named, re-import idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.errors import ImportRejected
from casework.imports import import_csv
from supportfirst.bootstrap import App
from tests import builders as b
from tests.conftest import dump

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


async def load(app: App, kind: str, data: bytes, name: str | None = None) -> int:
    summary = await import_csv(app.uow(), kind, name or f"{kind}.csv", data, "officer", NOW)
    return summary.changed


@pytest.fixture
async def school(app: App) -> App:
    await load(app, "schools", b.schools())
    await load(app, "pupils", b.pupils())
    await load(app, "calendar", b.calendar())
    rows = b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7))
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    return app


BAD_MARKS = [
    (
        "unknown code",
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,Q9",
        "marks.csv:2: code: unknown register code 'Q9' (not in the 2024 code set)",
    ),
    (
        "retired H",
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,H",
        "marks.csv:2: code: H (agreed holiday) no longer exists from August 2024: use C",
    ),
    (
        "bad date",
        f"{b.UPN_1},{b.SCHOOL_A},2025-02-30,AM,O",
        "marks.csv:2: date: '2025-02-30' is not a date (YYYY-MM-DD)",
    ),
    (
        "unknown pupil",
        f"C123456789014,{b.SCHOOL_A},2025-03-10,AM,O",
        "marks.csv:2: upn: unknown pupil 'C123456789014'",
    ),
    (
        "bad session",
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,EV,O",
        "marks.csv:2: session: 'EV' is neither AM nor PM",
    ),
    # The calendar governs (issue 11 point 2): a mark on a day the school was shut.
    (
        "a Saturday",
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-08,AM,O",
        "marks.csv:2: date: 2025-03-08 is not a school day at 100001 (Saturday)",
    ),
    (
        "half-term",
        f"{b.UPN_1},{b.SCHOOL_A},2025-02-18,PM,/",
        "marks.csv:2: date: 2025-02-18 is not a school day at 100001 (outside its terms)",
    ),
    (
        "an INSET day",
        f"{b.UPN_1},{b.SCHOOL_A},2025-01-06,AM,G",
        "marks.csv:2: date: 2025-01-06 is not a school day at 100001 (a closure day)",
    ),
    (
        "a Sunday, at a school with no calendar yet",
        f"{b.UPN_1},{b.SCHOOL_B},2025-03-09,AM,Z",
        "marks.csv:2: date: 2025-03-09 is not a school day at 100002 (Sunday)",
    ),
]


async def test_a_closure_mark_may_be_recorded_on_any_day(school: App) -> None:
    rows = [f"{b.UPN_1},{b.SCHOOL_A},2025-03-08,AM,#", f"{b.UPN_1},{b.SCHOOL_A},2025-02-18,AM,#"]
    assert await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, rows)) == 2


@pytest.mark.parametrize(("case", "row", "message"), BAD_MARKS, ids=[c[0] for c in BAD_MARKS])
async def test_a_bad_marks_row_rejects_the_file_and_changes_nothing(
    school: App, case: str, row: str, message: str
) -> None:
    before = await dump(school)
    good = f"{b.UPN_2},{b.SCHOOL_A},2025-03-10,AM,/"
    with pytest.raises(ImportRejected) as e:
        await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, [row, good]))
    assert e.value.problems[0].startswith(message)
    assert await dump(school) == before


async def test_the_same_session_twice_with_different_codes_names_both_lines(school: App) -> None:
    rows = [f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,O", f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,I"]
    before = await dump(school)
    with pytest.raises(ImportRejected) as e:
        await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    assert e.value.problems == [
        "marks.csv:3: code: this session was already given a different code on line 2 ('O' vs 'I')"
    ]
    assert await dump(school) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "marks.csv:1: header: the file is empty"),
        (b"upn,school_urn,date,code\n", "marks.csv:1: header: missing column session"),
        (
            b"upn,school_urn,date,session,code\nA123456789012,100001,2025-03-10,AM,O\xe9\n",
            "marks.csv:2: encoding: byte 0xe9 at column 37 is not UTF-8",
        ),
    ],
    ids=["empty", "missing column", "not utf-8"],
)
async def test_an_unreadable_file_is_rejected_with_where_and_why(
    school: App, data: bytes, message: str
) -> None:
    before = await dump(school)
    with pytest.raises(ImportRejected) as e:
        await load(school, "marks", data)
    assert e.value.problems[0].startswith(message)
    assert await dump(school) == before


async def test_every_bad_row_is_listed_not_just_the_first(school: App) -> None:
    rows = [
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,H",
        f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,PM,/",
        f"{b.UPN_1},{b.SCHOOL_A},2025-13-11,AM,O",
    ]
    with pytest.raises(ImportRejected) as e:
        await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    assert [p.split(": ")[0] for p in e.value.problems] == ["marks.csv:2", "marks.csv:4"]


async def test_reimporting_the_same_file_changes_nothing(school: App) -> None:
    rows = b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7))
    before = await dump(school)
    assert await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, rows)) == 0
    assert await load(school, "calendar", b.calendar()) == 0
    assert await load(school, "pupils", b.pupils()) == 0
    assert await dump(school) == before


async def test_a_corrected_mark_replaces_the_old_one_and_keeps_its_history(school: App) -> None:
    row = f"{b.UPN_1},{b.SCHOOL_A},2025-03-03,AM,I"
    assert await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, [row]), "fix.csv") == 1
    after = await dump(school)
    history = [(r["old_code"], r["new_code"], r["source"]) for r in after["mark_correction"]]
    assert history == [("/", "I", "fix.csv")]
    corrected = [r for r in after["audit_entry"] if r["action"] == "marks.corrected"]
    assert [r["subject"] for r in corrected] == ["mark:A123456789012:2025-03-03:AM"]
    async with school.uow() as uow:
        marks = await uow.marks.for_pupil(b.UPN_1)
    assert [m.code for m in marks if m.day == date(2025, 3, 3)] == ["I", "\\"]


async def test_a_pupil_at_an_unknown_school_is_rejected(app: App) -> None:
    await load(app, "schools", b.schools())
    with pytest.raises(ImportRejected) as e:
        await load(app, "pupils", b.pupils(school="999999"))
    assert e.value.problems[0] == "pupils.csv:2: school_urn: unknown school '999999'"


async def test_a_d_from_the_other_school_never_overwrites_the_real_mark(school: App) -> None:
    # Dual registration: school B records O for a session; school A then sends D for it.
    o = f"{b.UPN_1},{b.SCHOOL_B},2025-03-10,AM,O"
    await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, [o]), "b.csv")
    d = [f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,D", f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,PM,D"]
    # Each school's mark is its own row: both D are stored, neither hides B's O.
    assert await load(school, "marks", b.csv_bytes(b.MARKS_HEADER, d), "a.csv") == 2
    async with school.uow() as uow:
        marks = [
            (m.session, m.code)
            for m in await uow.marks.for_pupil(b.UPN_1)
            if m.day == date(2025, 3, 10)
        ]
        assert marks == [("AM", "O"), ("PM", "D")]
        counts = await uow.marks.threshold_counts(
            date(2025, 3, 10), {"Essex": frozenset("GOU")}, 10
        )
    assert [(c.upn, c.unauthorised_sessions) for c in counts] == [(b.UPN_1, 1)]


async def test_a_name_with_a_line_break_is_rejected(app: App) -> None:
    await load(app, "schools", b.schools())
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    bad = f'{b.UPN_1},"Sam\r\nBcc: someone@example.org",Taylor,2015-03-01,{b.SCHOOL_A},5'
    with pytest.raises(ImportRejected) as e:
        await load(app, "pupils", b.csv_bytes(header, [bad]))
    assert e.value.problems == [
        "pupils.csv:2: first_name: contains a line break or control character"
    ]
