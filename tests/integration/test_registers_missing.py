"""Missing registers (issue 11 point 2), through the use cases, on SQLite and PostgreSQL: a week
of term with no marks for a pupil on roll is listed by the threshold and holds notices and
penalties until it is imported."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
