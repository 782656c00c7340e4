"""Issuing a Notice to Improve and the daily review that follows it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.caselog import chronology
from casework.errors import Refused
from casework.events import (
    NtiBreached,
    NtiEnded,
    NtiIssued,
    ThresholdMet,
    TimeLimitNear,
    UnresolvedN,
)
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.thresholds import daily_review
from store.outbox import SqlOutbox
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol, hand_over

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
WEEK = [f"2025-03-0{d}" for d in range(3, 8)]  # Mon 3 - Fri 7 March


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


async def absent(
    app: App, days: list[str], code: str = "O", start: str = "2025-02-24", end: str = "2025-03-07"
) -> None:
    gone = [(date.fromisoformat(d), s) for d in days for s in ("AM", "PM")]
    rows = b.marks(
        b.UPN_1, date.fromisoformat(start), date.fromisoformat(end), absent=gone, code=code
    )
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))


@pytest.fixture
async def case(app: App) -> App:
    await load(app, "schools", b.schools())
    await load(app, "pupils", b.pupils(b.UPN_1))
    await load(app, "parents", b.parents())
    await load(app, "calendar", b.calendar())
    await absent(app, WEEK)
    await enrol(app.uow)  # Ms Patel, who issues the notices
    return app


async def review(app: App, on: date) -> list[object]:
    """The NTI events of a review (the threshold's own events are tested on their own)."""
    return [e for e in await daily_review(app.uow(), on, NOW) if not isinstance(e, ThresholdMet)]


async def nti(app: App, on: str, allowed: int = 0, served: bool = True) -> int:
    """Issue the notice and, with `served`, hand it to each parent that day."""
    notice = await issue_nti(
        app.uow(),
        app.mailroom(),
        b.UPN_1,
        "Ms Patel",
        "No further unauthorised absence",
        date.fromisoformat(on),
        allowed,
        NOW,
    )
    if served:
        await hand_over(app, b.UPN_1, date.fromisoformat(on), NOW)
    return notice.notice_id


async def test_an_nti_is_refused_with_the_count_when_the_threshold_is_not_met(case: App) -> None:
    with pytest.raises(Refused, match="threshold is not met on 2025-03-05: 6 unauthorised"):
        await nti(case, "2025-03-05")
    assert (await chronology(case.uow(), b.UPN_1)).notices == []


async def test_an_nti_records_its_period_and_one_delivery_per_parent(case: App) -> None:
    notice = await issue_nti(
        case.uow(),
        case.mailroom(),
        b.UPN_1,
        "Ms Patel",
        "No further unauthorised absence",
        date(2025, 3, 7),
        0,
        NOW,
    )
    # Starts Mon 10 Mar; 42 days reach Sun 20 Apr, the two Easter weeks (7-20 Apr) add two
    # weeks: Sun 4 May, so the last school day is Fri 2 May.
    assert (notice.period_start, notice.period_end) == (date(2025, 3, 10), date(2025, 5, 2))
    assert [(d.parent_id, d.route) for d in notice.deliveries] == [("P1", "post"), ("P2", "post")]
    assert notice.unauthorised_sessions == 10


async def test_the_improvement_period_reaches_over_the_february_half_term(case: App) -> None:
    await absent(case, [f"2025-02-0{d}" for d in range(3, 8)], start="2025-02-03", end="2025-02-07")
    notice = await issue_nti(
        case.uow(),
        case.mailroom(),
        b.UPN_1,
        "Ms Patel",
        "No further unauthorised absence",
        date(2025, 2, 7),
        0,
        NOW,
    )
    # Mon 10 Feb + 42 days = Sun 23 Mar; half-term (17-21 Feb) adds a week: Fri 28 Mar.
    assert (notice.period_start, notice.period_end) == (date(2025, 2, 10), date(2025, 3, 28))


async def test_a_second_nti_while_one_is_running_is_refused(case: App) -> None:
    first = await nti(case, "2025-03-07")
    with pytest.raises(Refused, match=f"Notice to Improve {first} is already running"):
        await nti(case, "2025-03-07")


async def test_the_review_raises_threshold_met_once(case: App) -> None:
    events = await daily_review(case.uow(), date(2025, 3, 7), NOW)
    assert events == [ThresholdMet(b.UPN_1, date(2025, 3, 7), 10, date(2025, 2, 24))]
    assert await daily_review(case.uow(), date(2025, 3, 7), NOW) == []
    assert await daily_review(case.uow(), date(2025, 3, 10), NOW) == []


async def test_further_absence_during_the_period_is_a_breach_raised_once(case: App) -> None:
    notice_id = await nti(case, "2025-03-07")
    await review(case, date(2025, 3, 10))
    await absent(case, ["2025-03-11"], start="2025-03-10", end="2025-03-11")
    events = await review(case, date(2025, 3, 11))
    assert events == [NtiBreached(b.UPN_1, date(2025, 3, 11), notice_id, 2, 0)]
    assert await review(case, date(2025, 3, 12)) == []


async def test_allowed_further_sessions_are_not_a_breach(case: App) -> None:
    await nti(case, "2025-03-07", allowed=2)
    await absent(case, ["2025-03-11"], start="2025-03-10", end="2025-03-11")
    assert await review(case, date(2025, 3, 11)) == []


async def test_the_period_ends_improved_the_day_after_its_last_day(case: App) -> None:
    notice_id = await nti(case, "2025-03-07")
    await absent(case, [], start="2025-03-10", end="2025-05-02")
    assert await review(case, date(2025, 5, 2)) == []
    events = await review(case, date(2025, 5, 3))
    assert events == [NtiEnded(b.UPN_1, date(2025, 5, 3), notice_id, "improved", 0)]


async def test_a_breached_notice_ends_not_improved(case: App) -> None:
    notice_id = await nti(case, "2025-03-07")
    await absent(case, ["2025-04-28"], start="2025-03-10", end="2025-05-02")
    events = await review(case, date(2025, 5, 5))
    assert [type(e) for e in events] == [NtiBreached, NtiEnded]
    reasons = ("2 further unauthorised sessions (0 allowed)",)
    assert events[1] == NtiEnded(
        b.UPN_1, date(2025, 5, 5), notice_id, "not_improved", 2, reasons=reasons
    )


async def test_issue_and_review_land_in_the_chronology_and_the_outbox(case: App) -> None:
    await nti(case, "2025-03-07", served=False)
    await daily_review(case.uow(), date(2025, 3, 7), NOW)
    c = await chronology(case.uow(), b.UPN_1)
    kinds = [e.kind for e in c.entries]
    assert kinds == ["nti_issued", "letter_sent", "letter_sent", "threshold_met"]
    async with case.uow() as uow:
        kinds = [p.kind for p in await SqlOutbox(uow.session).pending()]
    assert kinds == [NtiIssued.__name__, ThresholdMet.__name__]


async def test_an_n_unresolved_after_five_school_days_is_raised_once(case: App) -> None:
    await load(
        case, "marks", b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2025-03-10,AM,N"])
    )
    assert await review(case, date(2025, 3, 14)) == []  # four school days later
    assert await review(case, date(2025, 3, 17)) == [
        UnresolvedN(b.UPN_1, date(2025, 3, 17), date(2025, 3, 10), "AM", 5)
    ]
    assert await review(case, date(2025, 3, 18)) == []


async def test_an_n_from_months_ago_is_not_raised_on_a_first_import(case: App) -> None:
    old = b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_1},{b.SCHOOL_A},2024-11-04,AM,N"])
    await load(case, "marks", old)
    assert await review(case, date(2025, 3, 7)) == []


async def test_the_prosecution_time_limit_is_alerted_once_six_weeks_before_it_runs_out(
    case: App,
) -> None:
    await nti(case, "2025-03-07")
    await absent(case, ["2025-03-17"], start="2025-03-10", end="2025-03-21")

    async def limits(on: date) -> list[object]:
        return [e for e in await review(case, on) if isinstance(e, TimeLimitNear) and e.notice_id]

    assert await limits(date(2025, 3, 24)) == []
    assert await limits(date(2025, 8, 5)) == []  # deadline 17 Sep: warned from 6 Aug
    [near] = await limits(date(2025, 8, 6))
    assert (near.offence_on, near.deadline) == (date(2025, 3, 17), date(2025, 9, 17))
    assert await limits(date(2025, 8, 7)) == []  # once
