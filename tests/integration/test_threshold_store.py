"""The county-wide threshold query, from the pupil-week summary, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from attendance.calendar import SchoolCalendar, week_monday
from attendance.codes import CODES, is_school_session
from attendance.threshold import Mark, Session, ThresholdPolicy, conflicts, evaluate
from casework.authorities import set_rules
from casework.imports import import_csv
from casework.thresholds import threshold_report
from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings
from tests import builders as b

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


async def school_with(app: App, *upns: str) -> None:
    await load(app, "schools", b.schools())
    await load(app, "pupils", b.pupils(*upns))
    await load(app, "calendar", b.calendar())


def absences(*days: str, sessions: tuple[str, ...] = ("AM", "PM")) -> list[tuple[date, str]]:
    return [(date.fromisoformat(d), s) for d in days for s in sessions]


async def test_a_pupil_who_moved_school_mid_window_meets_it_on_both_schools_marks(app: App) -> None:
    await school_with(app, b.UPN_1)
    before = b.marks(
        b.UPN_1,
        date(2025, 2, 24),
        date(2025, 3, 7),
        b.SCHOOL_A,
        absences("2025-02-24", "2025-02-25", "2025-03-03"),
    )
    after = b.marks(
        b.UPN_1,
        date(2025, 3, 10),
        date(2025, 3, 14),
        b.SCHOOL_B,
        absences("2025-03-10", "2025-03-11"),
        code="O",
    )
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, before + after))
    [row] = await threshold_report(app.uow(), date(2025, 3, 14), include_all=False)
    assert (row.upn, row.unauthorised_sessions, row.met) == (b.UPN_1, 10, True)


async def test_the_window_reaches_back_over_the_summer_into_last_year(app: App) -> None:
    await school_with(app, b.UPN_1)
    july = b.marks(
        b.UPN_1,
        date(2025, 6, 30),
        date(2025, 7, 22),
        absent=absences("2025-07-21", "2025-07-22", "2025-07-18"),
    )
    september = b.marks(
        b.UPN_1, date(2025, 9, 3), date(2025, 10, 10), absent=absences("2025-09-03", "2025-09-04")
    )
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, july + september))
    [row] = await threshold_report(app.uow(), date(2025, 10, 10), include_all=True)
    # Weeks with sessions: 1 Sep..6 Oct (6) and the four from 30 Jun: 10 weeks; the summer is not.
    assert (row.window_start, row.unauthorised_sessions, row.met) == (date(2025, 6, 30), 10, True)


async def test_n_counts_only_where_the_local_authority_says_so(app: App) -> None:
    await school_with(app, b.UPN_1)
    rows = b.marks(
        b.UPN_1,
        date(2025, 3, 3),
        date(2025, 3, 14),
        absent=absences("2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"),
        code="N",
    )
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    assert await threshold_report(app.uow(), date(2025, 3, 14), include_all=True) == []
    await set_rules(app.uow(), "Essex", "officer", NOW, frozenset("GOUN"), None, None)
    [row] = await threshold_report(app.uow(), date(2025, 3, 14), include_all=False)
    assert (row.unauthorised_sessions, row.met) == (10, True)


async def test_nine_sessions_are_listed_with_all_but_not_met(app: App) -> None:
    await school_with(app, b.UPN_1)
    days = absences("2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06") + absences(
        "2025-03-07", sessions=("AM",)
    )
    await load(
        app,
        "marks",
        b.csv_bytes(
            b.MARKS_HEADER, b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7), absent=days)
        ),
    )
    assert await threshold_report(app.uow(), date(2025, 3, 7), include_all=False) == []
    [row] = await threshold_report(app.uow(), date(2025, 3, 7), include_all=True)
    assert (row.unauthorised_sessions, row.met, row.window_start) == (9, False, date(2025, 3, 3))


async def test_a_correction_from_o_to_i_takes_the_pupil_back_under_the_threshold(app: App) -> None:
    await school_with(app, b.UPN_1)
    days = absences("2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07")
    await load(
        app,
        "marks",
        b.csv_bytes(
            b.MARKS_HEADER,
            b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7), absent=days, code="O"),
        ),
    )
    assert len(await threshold_report(app.uow(), date(2025, 3, 7), include_all=False)) == 1
    await load(
        app, "marks", b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2025-03-07,PM,I"])
    )
    [row] = await threshold_report(app.uow(), date(2025, 3, 7), include_all=True)
    assert (row.unauthorised_sessions, row.met) == (9, False)


# --- the store's query against the pure engine, on random registers ---------------------------

ON = date(2025, 3, 12)  # a Wednesday: the window's last week is cut at DATE
CODES_LIST = sorted(CODES)
WEIGHTED = st.one_of(st.sampled_from(["G", "O", "U", "N", "/"]), st.sampled_from(CODES_LIST))
# Each mark is recorded by one of two schools (registers are per school): the store must
# combine them per session exactly as the engine does.
SCHOOLS = st.sampled_from([b.SCHOOL_A, b.SCHOOL_A, b.SCHOOL_B])
register = st.lists(
    st.tuples(st.integers(0, 200), st.sampled_from(["AM", "PM"]), WEIGHTED, SCHOOLS),
    max_size=120,
)
# Two calendars: school B (an academy) keeps its own half-terms, a week before A's, so a week
# of term at one school is a holiday at the other (the missing-registers check reads each).
TERMS_B = [
    ("2024-09-04", "2024-10-18"),
    ("2024-10-28", "2024-12-20"),
    ("2025-01-06", "2025-02-07"),
    ("2025-02-17", "2025-04-04"),
]
CALENDARS = {
    b.SCHOOL_A: SchoolCalendar.of(
        [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in b.TERMS],
        [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in b.CLOSURES],
    ),
    b.SCHOOL_B: SchoolCalendar.of(
        [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in TERMS_B]
    ),
}
SPAN = [ON - timedelta(days=i) for i in range(201)]
SCHOOL_DAYS = {urn: {d for d in SPAN if cal.is_school_day(d)} for urn, cal in CALENDARS.items()}
UPNS = ("A123456789012", "B123456789013", "C123456789014")


def _store_and_count(
    url: str, tmp: str, registers: list[list[tuple[int, str, str, str]]], with_n: bool
) -> None:
    async def go() -> None:
        app = bootstrap(Settings(data_dir=tmp), url, migrate=False)
        try:
            async with app.engine.begin() as conn:
                for table in (
                    "mark",
                    "mark_conflict",
                    "pupil_week",
                    "mark_correction",
                    "pupil_roll",
                    "authority_rule",
                ):
                    await conn.execute(text(f"DELETE FROM {table}"))
            if with_n:
                await set_rules(app.uow(), "Essex", "t", NOW, frozenset("GOUN"), None, None)
            marks: dict[str, dict[tuple[date, str, str], str]] = {u: {} for u in UPNS}
            for upn, reg in zip(UPNS, registers, strict=True):
                for offset, session, code, school in reg:
                    day = ON - timedelta(days=offset)
                    # The calendar governs: only `#` may be recorded on a day the school is shut.
                    shut = day not in SCHOOL_DAYS[school]
                    marks[upn][(day, session, school)] = "#" if shut else code
            # School B's file first, then school A's: the second is combined with stored marks.
            for school in (b.SCHOOL_B, b.SCHOOL_A):
                rows = [
                    f"{u},{urn},{d.isoformat()},{s},{c}"
                    for u in UPNS
                    for (d, s, urn), c in marks[u].items()
                    if urn == school
                ]
                if rows:
                    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
            got = {r.upn: r for r in await threshold_report(app.uow(), ON, include_all=True)}
            policy = ThresholdPolicy(frozenset("GOUN") if with_n else frozenset("GOU"))
            for upn in UPNS:
                expected = evaluate(
                    [Mark(d, Session(s), c, urn) for (d, s, urn), c in marks[upn].items()],
                    ON,
                    policy,
                )
                if expected.unauthorised_sessions == 0:
                    assert upn not in got
                    continue
                r = got[upn]
                assert (r.unauthorised_sessions, r.window_start, r.met) == (
                    expected.unauthorised_sessions,
                    expected.window_start,
                    expected.met,
                )
                raw = [Mark(d, Session(s), c, urn) for (d, s, urn), c in marks[upn].items()]
                assert list(r.conflicts) == conflicts(raw)
                assert r.registers_missing == missing_by_hand(marks[upn], r.window_start, ON)
        finally:
            await app.close()

    asyncio.run(go())


def missing_by_hand(
    marks: dict[tuple[date, str, str], str], start: date | None, on: date
) -> tuple[date, ...]:
    """attendance/registers.py's rule read straight off the raw marks, week by week, with no
    first look and no summary: the fast path (the count's weeks against the weeks of term,
    then the store's registers for the pupils it leaves) must give exactly this."""
    assert start is not None
    school_weeks = {week_monday(d) for (d, _, _), c in marks.items() if is_school_session(c)}
    days_of: dict[str, set[date]] = {}
    for d, _, urn in marks:
        days_of.setdefault(urn, set()).add(d)
    found, monday = [], week_monday(start)
    while monday <= on:
        sunday = monday + timedelta(days=6)
        week = [monday + timedelta(days=i) for i in range(7)]
        # Some school with a school day in the week by its own calendar had the pupil on roll
        # (marks before and after the week) and no mark for them in it.
        on_roll_blank = any(
            any(CALENDARS[urn].is_school_day(d) and d <= on for d in week)
            and min(days) < monday
            and max(days) > sunday
            and not any(monday <= d <= sunday for d in days)
            for urn, days in days_of.items()
        )
        if monday not in school_weeks and on_roll_blank:
            found.append(monday)
        monday += timedelta(days=7)
    return tuple(found)


@pytest.fixture
def seeded_url(db_url: str, tmp_path: object) -> str:
    async def seed() -> None:
        app = bootstrap(Settings(), db_url, migrate=False)
        try:
            await school_with(app, *UPNS)
            rows = [f"{b.SCHOOL_B},term,{s},{e}" for s, e in TERMS_B]
            await load(app, "calendar", b.csv_bytes("school_urn,kind,start,end", rows))
        finally:
            await app.close()

    asyncio.run(seed())
    return db_url


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(registers=st.lists(register, min_size=3, max_size=3), with_n=st.booleans())
def test_the_store_agrees_with_the_engine_on_random_registers(
    seeded_url: str,
    tmp_path: object,
    registers: list[list[tuple[int, str, str, str]]],
    with_n: bool,
) -> None:
    _store_and_count(seeded_url, str(tmp_path), registers, with_n)


# Full registers at school A with a few weeks never imported, and a few random marks from
# either school on top: most pupils pass the first look, some are looked at closely.
@st.composite
def full_register(draw: st.DrawFn) -> list[tuple[int, str, str, str]]:
    blank = draw(st.sets(st.integers(0, 28), max_size=3))
    weeks_back = {d: (week_monday(ON) - week_monday(d)).days // 7 for d in SCHOOL_DAYS[b.SCHOOL_A]}
    base = [
        ((ON - d).days, s, "/", b.SCHOOL_A)
        for d, back in sorted(weeks_back.items())
        if back not in blank
        for s in ("AM", "PM")
    ]
    return base + draw(register.map(lambda r: r[:20]))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(registers=st.lists(full_register(), min_size=3, max_size=3))
def test_missing_registers_agree_with_the_rule_read_by_hand(
    seeded_url: str, tmp_path: object, registers: list[list[tuple[int, str, str, str]]]
) -> None:
    _store_and_count(seeded_url, str(tmp_path), registers, False)
