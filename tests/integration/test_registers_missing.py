"""Missing registers (issue 11 point 2), through the use cases, on SQLite and PostgreSQL: a week
of term with no marks for a pupil on roll is listed by the threshold and holds notices and
penalties until it is imported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casework.errors import RegistersMissing
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.penalties import check_penalty
from casework.thresholds import threshold_report
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol
from tests.fakes_mail import fake_mailroom

NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 14)
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
BLANK_WEEK = (date(2025, 2, 10), date(2025, 2, 14))  # never imported


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


def marks(start: date, end: date, absent: list[tuple[date, str]] | None = None) -> bytes:
    return b.csv_bytes(b.MARKS_HEADER, b.marks(b.UPN_1, start, end, absent=absent or []))


@pytest.fixture
async def blank(app: App) -> App:
    """UPN_1 on roll all year, absent the week of 3 March (and one O on 20 January), with no
    register imported for the week of 10 February."""
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils()),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
    ):
        await load(app, kind, data)
    await load(
        app, "marks", marks(date(2024, 11, 4), date(2025, 2, 7), [(date(2025, 1, 20), "AM")])
    )
    await load(app, "marks", marks(date(2025, 2, 24), ON, GONE))
    await enrol(app.uow)  # Ms Patel, who acts on the case
    return app


async def test_the_threshold_lists_the_missing_week_of_the_window(blank: App) -> None:
    [r] = await threshold_report(blank.uow(), ON, include_all=False)
    # The window reached back over the blank week (CONTRACT.md's count, unchanged).
    assert (r.window_start, r.unauthorised_sessions, r.met) == (date(2024, 12, 9), 11, True)
    assert r.registers_missing == (date(2025, 2, 10),)


async def test_looking_back_before_later_marks_still_finds_the_blank_week(blank: App) -> None:
    # 21 February is in half-term: the window's last school week is 3 February, and the
    # school's later marks show the pupil was still on roll in the week of 10 February.
    [r] = await threshold_report(blank.uow(), date(2025, 2, 21), include_all=True)
    assert r.registers_missing == (date(2025, 2, 10),)


async def test_an_nti_and_a_penalty_wait_for_the_missing_register(blank: App) -> None:
    nti = ("Ms Patel", "No further unauthorised absence", ON, 0, NOW)
    with pytest.raises(
        RegistersMissing, match="import the registers for the weeks of 10 Feb first"
    ):
        await issue_nti(blank.uow(), fake_mailroom(), b.UPN_1, *nti)
    decision = await check_penalty(blank.uow(), "P1", b.UPN_1, ON, offence_start=date(2025, 1, 6))
    assert not decision.allowed
    assert "import the registers for the weeks of 10 Feb first" in decision.reason
    await load(blank, "marks", marks(*BLANK_WEEK))
    [r] = await threshold_report(blank.uow(), ON, include_all=False)
    assert r.registers_missing == () and r.window_start == date(2024, 12, 16)
    issued = await issue_nti(blank.uow(), fake_mailroom(), b.UPN_1, *nti)
    assert issued.notice_id > 0


# Two calendars (an academy keeps its own half-term): A shuts the week of 24 February, B the
# week of 10 February. The first look must read each school's weeks of term for the span the
# pupil was on roll there, not only the weeks of the school they are at now.
A_HALF_TERM, B_HALF_TERM = date(2025, 2, 24), date(2025, 2, 10)


def own_calendar(school: str, half_term: date) -> bytes:
    shut = half_term + timedelta(days=4)
    return b.csv_bytes(
        "school_urn,kind,start,end",
        [f"{school},term,2025-01-06,2025-04-04", f"{school},closure,{half_term},{shut}"],
    )


def register(school: str, half_term: date, start: date, end: date, code: str = "") -> list[str]:
    """Every session of the school's days from start to end: present, or `code` throughout."""
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return [
        f"{b.UPN_1},{school},{d},{session},{code or present}"
        for d in days
        if d.weekday() < 5 and not half_term <= d <= half_term + timedelta(days=4)
        for session, present in (("AM", "/"), ("PM", "\\"))
    ]


@pytest.fixture
async def two_calendars(app: App) -> App:
    """UPN_1 now at school B; A and B each with its own half-term."""
    await load(app, "schools", b.schools())
    await load(app, "pupils", b.pupils(b.UPN_1, school=b.SCHOOL_B))
    await load(app, "calendar", own_calendar(b.SCHOOL_A, A_HALF_TERM))
    await load(app, "calendar", own_calendar(b.SCHOOL_B, B_HALF_TERM))
    return app


async def test_a_blank_week_of_term_at_the_earlier_school_is_missing(two_calendars: App) -> None:
    # At A to 21 February, with no register from A for the week of 10 February (B's half-term,
    # A's term); at B from 24 February (A's half-term, B's term), absent on 3 March.
    at_a = register(b.SCHOOL_A, A_HALF_TERM, date(2025, 1, 6), date(2025, 2, 21))
    at_a = [r for r in at_a if not "2025-02-10" <= r.split(",")[2] <= "2025-02-14"]
    at_b = register(b.SCHOOL_B, B_HALF_TERM, date(2025, 2, 24), ON)
    absent = [f"{b.UPN_1},{b.SCHOOL_B},2025-03-03,{s},O" for s in ("AM", "PM")]
    await load(two_calendars, "marks", b.csv_bytes(b.MARKS_HEADER, at_a + at_b))
    await load(two_calendars, "marks", b.csv_bytes(b.MARKS_HEADER, absent))
    [r] = await threshold_report(two_calendars.uow(), ON, include_all=True)
    # B's weeks of term alone match the pupil's nine school weeks: only A's show the gap.
    assert (r.window_start, r.unauthorised_sessions) == (date(2025, 1, 6), 2)
    assert r.registers_missing == (B_HALF_TERM,)


async def test_a_week_of_term_at_the_new_school_while_at_the_old_one_is_not(
    two_calendars: App,
) -> None:
    # At A to 7 March (A's half-term the week of 24 February: B's term), B's `Z` for every
    # session of its own days before the pupil joined it on 10 March, absent on 11 March.
    at_a = register(b.SCHOOL_A, A_HALF_TERM, date(2025, 1, 6), date(2025, 3, 7))
    not_yet = register(b.SCHOOL_B, B_HALF_TERM, date(2025, 1, 6), date(2025, 3, 7), "Z")
    at_b = register(b.SCHOOL_B, B_HALF_TERM, date(2025, 3, 10), ON)
    at_b = [r.replace(",/", ",O") if "2025-03-11" in r else r for r in at_b]
    await load(two_calendars, "marks", b.csv_bytes(b.MARKS_HEADER, at_a + not_yet + at_b))
    [r] = await threshold_report(two_calendars.uow(), ON, include_all=True)
    assert (r.window_start, r.unauthorised_sessions) == (date(2025, 1, 6), 1)
    assert r.registers_missing == ()
