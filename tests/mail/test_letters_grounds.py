"""The NTI letter states the day the threshold was met and its window (issue 11 point 9)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.errors import Refused
from casework.imports import import_csv
from casework.letters import letter_for
from casework.notices import issue_nti
from casework.records import StaffRecord
from mail.letters import LetterRenderer
from tests import builders as b
from tests.fakes import FakeUnitOfWork
from tests.fakes_mail import fake_mailroom

NOW = datetime(2025, 6, 2, 16, 0, tzinfo=UTC)
STAFF = "PRIYA"  # the member of staff each letter names for parents to contact
PRIYA = StaffRecord(
    STAFF,
    "Ms Priya Patel",
    "attendance_officer",
    email="attendance@school.example",
    phone="01234 567890",
    all_schools=True,
)


async def school(until: date) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    gone = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
    marks = b.marks(b.UPN_1, date(2025, 2, 24), until, absent=gone, code="O")
    for kind, data in (
        ("schools", b.schools(la_a="Suffolk")),
        ("pupils", b.pupils(b.UPN_1)),
        ("calendar", b.calendar()),
        ("parents", b.parents()),
        ("marks", b.csv_bytes(b.MARKS_HEADER, marks)),
    ):
        await import_csv(uow, kind, f"{kind}.csv", data, "officer", NOW)
    async with uow:
        await uow.chat.save_staff(PRIYA, NOW)
        await uow.commit()
    return uow


async def nti(uow: FakeUnitOfWork, on: date) -> None:
    await issue_nti(uow, fake_mailroom(), b.UPN_1, "Ms Patel", "Attends", on, 0, NOW)


async def test_a_notice_after_the_count_dipped_states_the_day_it_was_met_and_its_window() -> None:
    uow = await school(date(2025, 6, 2))
    await nti(uow, date(2025, 6, 2))
    [notice] = uow.cases.notice_rows.values()
    assert (notice.window_start, notice.met_on) == (date(2025, 3, 3), date(2025, 5, 23))
    letter = await letter_for(uow, LetterRenderer(), "nti", b.UPN_1, "P1", STAFF, date(2025, 6, 2))
    text = " ".join(letter.text.split())
    assert (
        "10 sessions of unauthorised absence in the 10 school weeks from 3 March 2025 to "
        "23 May 2025. On 23 May 2025 this met the national threshold"
    ) in text
    assert "That day is within the 10 school weeks before this notice." in text


async def test_a_notice_met_on_the_day_says_so() -> None:
    uow = await school(date(2025, 3, 7))
    await nti(uow, date(2025, 3, 7))
    letter = await letter_for(uow, LetterRenderer(), "nti", b.UPN_1, "P1", STAFF, date(2025, 3, 7))
    text = " ".join(letter.text.split())
    assert (
        "to 7 March 2025 (all of Sam0's school weeks up to that day). On 7 March 2025 this met"
        in text
    )
    assert "within the 10 school weeks before this notice" not in text


async def test_met_only_before_the_previous_10_school_weeks_is_refused() -> None:
    uow = await school(date(2025, 9, 12))
    with pytest.raises(Refused, match="threshold is not met on 2025-09-12"):
        await nti(uow, date(2025, 9, 12))
