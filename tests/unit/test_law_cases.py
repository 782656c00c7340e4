"""Issue 11's rules of law through the use cases, on the fakes: age, penalties, time limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from attendance.penalty import PenaltyState
from casework.errors import NotOfCompulsorySchoolAge, Refused
from casework.events import ThresholdMet, TimeLimitNear
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.penalties import (
    agree_penalty,
    change_penalty_state,
    check_penalty,
    penalties_for,
    record_penalty,
)
from casework.thresholds import daily_review, threshold_report
from tests import builders as b
from tests.fakes import FakeUnitOfWork
from tests.fakes_mail import fake_mailroom

NOW = datetime(2025, 3, 20, 16, 0, tzinfo=UTC)
GONE = [(date(2025, 3, d), s) for d in range(3, 8) for s in ("AM", "PM")]


async def load(uow: FakeUnitOfWork, kind: str, data: bytes) -> None:
    await import_csv(uow, kind, f"{kind}.csv", data, "officer", NOW)


async def school(
    born: str, absent: list[tuple[date, str]] = GONE, code: str = "O"
) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    await load(uow, "schools", b.schools())
    pupil = f"{b.UPN_1},Sam,Taylor,{born},{b.SCHOOL_A},5"
    header = "upn,first_name,last_name,date_of_birth,school_urn,year_group"
    await load(uow, "pupils", b.csv_bytes(header, [pupil]))
    await load(uow, "calendar", b.calendar())
    await load(uow, "parents", b.parents())
    marks = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 14), absent=absent, code=code)
    await load(uow, "marks", b.csv_bytes(b.MARKS_HEADER, marks))
    return uow


async def test_a_seventeen_year_old_meets_no_threshold_and_gets_no_notice() -> None:
    uow = await school("2008-05-01")
    (row,) = await threshold_report(uow, date(2025, 3, 14), include_all=True)
    assert (row.unauthorised_sessions, row.met, row.compulsory_school_age) == (10, False, False)
    assert await threshold_report(uow, date(2025, 3, 14), include_all=False) == []
    with pytest.raises(NotOfCompulsorySchoolAge, match="it ended on 2024-06-28"):
        await issue_nti(
            uow, fake_mailroom(), b.UPN_1, "Ms Patel", "No absence", date(2025, 3, 10), 0, NOW
        )
    assert uow.cases.notice_rows == {}


async def test_a_penalty_for_full_attendance_is_refused_with_every_reason() -> None:
    uow = await school("2015-03-01", absent=[])
    d = await check_penalty(uow, "P1", b.UPN_1, date(2025, 3, 20), offence_start=date(2025, 3, 3))
    assert not d.allowed
    assert [r.split(":")[0] for r in d.reasons] == [
        "the national threshold was not met from 2025-03-03 to 2025-03-19",
        "the local authority's agreement is not recorded",
    ]
    with pytest.raises(Refused, match="national threshold was not met"):
        await record_penalty(uow, "P1", b.UPN_1, date(2025, 3, 20), date(2025, 3, 3), "LA", NOW)
    assert uow.cases.penalty_notices == []


async def test_a_penalty_needs_the_las_agreement_first() -> None:
    uow = await school("2015-03-01")
    await agree_penalty(uow, "P1", b.UPN_1, date(2025, 3, 21), "LA", "ACT/1", NOW)
    late = await check_penalty(
        uow, "P1", b.UPN_1, date(2025, 3, 20), offence_start=date(2025, 3, 3)
    )
    assert late.reasons == (
        "the local authority agreed on 2025-03-21, after the notice on 2025-03-20",
    )
    await agree_penalty(uow, "P1", b.UPN_1, date(2025, 3, 18), "LA", "ACT/1", NOW)
    d = await record_penalty(uow, "P1", b.UPN_1, date(2025, 3, 20), date(2025, 3, 3), "LA", NOW)
    assert (d.allowed, d.ordinal) == (True, 1)


async def test_a_holiday_case_gets_time_limit_near_with_no_nti() -> None:
    uow = await school("2015-03-01", code="G")
    [met] = [
        e for e in await daily_review(uow, date(2025, 3, 7), NOW) if isinstance(e, ThresholdMet)
    ]
    assert (met.window_start, met.route) == (date(2025, 2, 24), "term_time_holiday")

    async def limits(on: date) -> list[TimeLimitNear]:
        return [e for e in await daily_review(uow, on, NOW) if isinstance(e, TimeLimitNear)]

    assert await limits(date(2025, 7, 22)) == []  # the 3 March absence leaves on 3 September
    [near] = await limits(date(2025, 7, 23))
    assert (near.notice_id, near.offence_on, near.deadline) == (
        0,
        date(2025, 3, 3),
        date(2025, 9, 3),
    )
    assert near.episode_met_on == date(2025, 3, 7)
    assert await limits(date(2025, 7, 24)) == []  # once per episode
    [entry] = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "time_limit_near"]
    assert "must be laid by 2025-09-03" in entry.summary


async def test_ten_o_sessions_are_the_unauthorised_route() -> None:
    uow = await school("2015-03-01")
    [met] = [
        e for e in await daily_review(uow, date(2025, 3, 7), NOW) if isinstance(e, ThresholdMet)
    ]
    assert met.route == "unauthorised"


async def test_a_penalty_notice_is_paid_or_withdrawn_or_unpaid_then_prosecution_considered() -> (
    None
):
    uow = await school("2015-03-01")
    await agree_penalty(uow, "P1", b.UPN_1, date(2025, 3, 18), "LA", "ACT/1", NOW)
    await record_penalty(uow, "P1", b.UPN_1, date(2025, 3, 20), date(2025, 3, 3), "LA", NOW)
    [notice] = await penalties_for(uow, b.UPN_1)
    assert notice.state is PenaltyState.ISSUED

    async def to(state: PenaltyState) -> PenaltyState:
        p = await change_penalty_state(
            uow, b.UPN_1, notice.id, state, date(2025, 5, 1), "LA", "ACT letter", NOW
        )
        return p.state

    assert await to(PenaltyState.UNPAID) is PenaltyState.UNPAID
    with pytest.raises(Refused, match="unpaid cannot become paid"):
        await to(PenaltyState.PAID)
    assert await to(PenaltyState.PROSECUTION_CONSIDERED) is PenaltyState.PROSECUTION_CONSIDERED
    assert await to(PenaltyState.WITHDRAWN) is PenaltyState.WITHDRAWN
    with pytest.raises(Refused, match="it can become nothing: it is final"):
        await to(PenaltyState.PAID)
    # A withdrawn notice counts for nothing: the next is a first again.
    d = await check_penalty(uow, "P1", b.UPN_1, date(2025, 5, 2), offence_start=date(2025, 3, 3))
    assert d.ordinal == 1
    kinds = [e.kind for e in await uow.cases.entries(b.UPN_1)]
    assert kinds.count("penalty_state") == 3
