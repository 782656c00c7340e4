"""Registers are kept per school (issue 11, point 1), through the use cases, on SQLite and
PostgreSQL: a new school's `Z` hides nothing; two schools' different real marks are a conflict
that the import warns about, the threshold lists, and notices and penalties wait for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from attendance.threshold import Conflict
from casework.errors import RegistersDisagree
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.penalties import record_penalty
from casework.thresholds import threshold_report
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol

NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
MOVE_WEEK = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


async def load(app: App, kind: str, data: bytes, name: str) -> tuple[str, ...]:
    return (await import_csv(app.uow(), kind, name, data, "officer", NOW)).warnings


@pytest.fixture
async def moved(app: App) -> App:
    """UPN_1 was absent all week of 3 March at school B, then joined school A, whose register
    says `Z` (not yet on roll) for that week."""
    for kind, data in (("schools", b.schools()), ("pupils", b.pupils()), ("parents", b.parents())):
        await load(app, kind, data, f"{kind}.csv")
    await load(app, "calendar", b.calendar(), "calendar.csv")
    await load(app, "calendar", b.calendar(b.SCHOOL_B), "calendar_b.csv")
    old = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 7), b.SCHOOL_B, MOVE_WEEK, "O")
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, old), "b.csv")
    z = b.marks(b.UPN_1, date(2025, 3, 3), date(2025, 3, 7), absent=MOVE_WEEK, code="Z")
    assert await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, z), "a.csv") == ()
    await enrol(app.uow)  # Ms Patel, who issues the notices
    return app


async def test_the_new_schools_z_keeps_the_old_schools_absences(moved: App) -> None:
    [r] = await threshold_report(moved.uow(), date(2025, 3, 7), include_all=True)
    assert (r.upn, r.unauthorised_sessions, r.met, r.conflicts) == (b.UPN_1, 10, True, ())


async def test_a_conflict_warns_is_listed_and_holds_notices_and_penalties(moved: App) -> None:
    theirs = [f"{b.UPN_1},{b.SCHOOL_B},2025-03-10,AM,O"]
    await load(moved, "marks", b.csv_bytes(b.MARKS_HEADER, theirs), "b2.csv")
    ours = b.marks(b.UPN_1, date(2025, 3, 10), date(2025, 3, 14))
    warnings = await load(moved, "marks", b.csv_bytes(b.MARKS_HEADER, ours), "a2.csv")
    assert warnings == (
        f"a2.csv: warning: pupil {b.UPN_1}, 2025-03-10 AM: school {b.SCHOOL_A} recorded / but "
        f"school {b.SCHOOL_B} recorded O; one school must correct its register before a notice "
        "or penalty can be decided",
    )
    [r] = await threshold_report(moved.uow(), date(2025, 3, 14), include_all=True)
    conflict = Conflict(date(2025, 3, 10), "AM", ((b.SCHOOL_A, "/"), (b.SCHOOL_B, "O")))
    assert (r.unauthorised_sessions, r.conflicts) == (11, (conflict,))
    with pytest.raises(RegistersDisagree, match="2025-03-10 AM: / from 100001 and O from 100002"):
        await issue_nti(
            moved.uow(),
            moved.mailroom(),
            b.UPN_1,
            "Ms Patel",
            "No absence",
            date(2025, 3, 14),
            0,
            NOW,
        )
    with pytest.raises(RegistersDisagree):
        await record_penalty(
            moved.uow(), "P1", b.UPN_1, date(2025, 3, 20), date(2025, 3, 3), "LA", NOW
        )
    # School B corrects its register: the pupil was with school A that morning.
    fix = [f"{b.UPN_1},{b.SCHOOL_B},2025-03-10,AM,D"]
    assert await load(moved, "marks", b.csv_bytes(b.MARKS_HEADER, fix), "b3.csv") == ()
    [r] = await threshold_report(moved.uow(), date(2025, 3, 14), include_all=True)
    assert (r.unauthorised_sessions, r.conflicts) == (10, ())
    issued = await issue_nti(
        moved.uow(), moved.mailroom(), b.UPN_1, "Ms Patel", "No absence", date(2025, 3, 14), 0, NOW
    )
    assert issued.notice_id == 1
