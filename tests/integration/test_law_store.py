"""Issue 11's rules of law on the real store (SQLite, PostgreSQL): age, penalties, time limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.errors import NotOfCompulsorySchoolAge
from casework.events import TimeLimitNear
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.penalties import agree_penalty, check_penalty, record_penalty
from casework.thresholds import daily_review, threshold_report
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol

NOW = datetime(2025, 3, 20, 16, 0, tzinfo=UTC)
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]
UPN_17 = b.UPN_2


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


@pytest.fixture
async def case(app: App) -> App:
    """UPN_1 (born 2015) and UPN_17 (born 2008), each with 10 `G` in the week of 3 March."""
    await load(app, "schools", b.schools())
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    pupils = [f"{b.UPN_1},Sam,Taylor,2015-03-01,{b.SCHOOL_A},5"]
    pupils += [f"{UPN_17},Kim,Moss,2008-05-01,{b.SCHOOL_A},12"]
    await load(app, "pupils", b.csv_bytes(header, pupils))
    await load(app, "parents", b.parents())
    await load(app, "calendar", b.calendar())
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    rows += b.marks(UPN_17, date(2025, 2, 24), date(2025, 3, 14), absent=GONE)
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    await enrol(app.uow)  # Ms Patel, who acts on the case
    return app


async def test_compulsory_school_age_decides_met_and_the_notice(case: App) -> None:
    rows = {r.upn: r for r in await threshold_report(case.uow(), date(2025, 3, 14), True)}
    assert (rows[b.UPN_1].met, rows[b.UPN_1].compulsory_school_age) == (True, True)
    assert (rows[UPN_17].met, rows[UPN_17].compulsory_school_age) == (False, False)
    with pytest.raises(NotOfCompulsorySchoolAge):
        await issue_nti(
            case.uow(), case.mailroom(), UPN_17, "Ms Patel", "None", date(2025, 3, 10), 0, NOW
        )


async def test_a_penalty_needs_the_las_agreement_recorded_first(case: App) -> None:
    on, start = date(2025, 3, 20), date(2025, 3, 3)
    before = await check_penalty(case.uow(), "P1", b.UPN_1, on, offence_start=start)
    assert [r[:40] for r in before.reasons] == ["the local authority's agreement is not r"]
    await agree_penalty(case.uow(), "P1", b.UPN_1, date(2025, 3, 18), "LA", "ACT/1", NOW)
    d = await record_penalty(case.uow(), "P1", b.UPN_1, on, start, "LA", NOW)
    assert (d.allowed, d.ordinal, d.reasons) == (True, 1, ())


async def test_a_holiday_case_gets_time_limit_near_with_no_nti(case: App) -> None:
    await daily_review(case.uow(), date(2025, 3, 7), NOW)

    async def limits(on: date) -> list[object]:
        events = await daily_review(case.uow(), on, NOW)
        return [(e.offence_on, e.deadline) for e in events if isinstance(e, TimeLimitNear)]

    assert await limits(date(2025, 7, 22)) == []
    assert await limits(date(2025, 7, 23)) == [(date(2025, 3, 3), date(2025, 9, 3))]
    assert await limits(date(2025, 7, 24)) == []


async def test_sessions_before_compulsory_school_age_never_count(app: App) -> None:
    """Born 15 Dec 2019: of compulsory school age from 31 Dec 2024, so December's absence
    (10 sessions) does not count on 10 January; a child a term older has it counted."""
    await load(app, "schools", b.schools())
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    young = [f"{b.UPN_1},Ava,Lee,2019-12-15,{b.SCHOOL_A},R"]
    young += [f"{b.UPN_2},Ben,Lee,2019-08-15,{b.SCHOOL_A},R"]
    await load(app, "pupils", b.csv_bytes(header, young))
    await load(app, "calendar", b.calendar())
    gone = [(date(2024, 12, d), s) for d in range(9, 14) for s in ("AM", "PM")]
    gone += [(date(2025, 1, d), s) for d in (7, 8) for s in ("AM", "PM")]
    rows: list[str] = []
    for upn in (b.UPN_1, b.UPN_2):
        rows += b.marks(upn, date(2024, 11, 4), date(2025, 1, 10), absent=gone, code="O")
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    report = {r.upn: r for r in await threshold_report(app.uow(), date(2025, 1, 10), True)}
    assert (report[b.UPN_1].unauthorised_sessions, report[b.UPN_1].met) == (4, False)
    assert report[b.UPN_1].compulsory_school_age
    assert (report[b.UPN_2].unauthorised_sessions, report[b.UPN_2].met) == (14, True)
