"""A penalty notice needs grounds: every reason it has none is given."""

from __future__ import annotations

from datetime import date, timedelta

from attendance.age import compulsory_school_age
from attendance.penalty_grounds import PenaltyCase, refusals
from attendance.threshold import Mark, Session

CODES = frozenset({"G", "O", "U"})
CHILD = compulsory_school_age(date(2015, 3, 1))


def week(monday: date, code: str = "/", days: int = 5) -> list[Mark]:
    return [
        Mark(monday + timedelta(days=i), s, code if i < days else "/")
        for i in range(5)
        for s in (Session.AM, Session.PM)
    ]


def case(marks: list[Mark], **kw: object) -> PenaltyCase:
    values: dict[str, object] = {
        "on": date(2025, 3, 20),
        "offence_start": date(2025, 3, 3),
        "marks": tuple(marks),
        "codes": CODES,
        "age": CHILD,
        "la_agreed_on": date(2025, 3, 18),
    }
    return PenaltyCase(**{**values, **kw})  # type: ignore[arg-type]


def test_ten_unauthorised_sessions_agreed_beforehand_are_grounds() -> None:
    assert refusals(case(week(date(2025, 3, 3), "O"))) == ()


def test_a_term_time_holiday_of_ten_g_is_grounds_and_nine_are_not() -> None:
    assert refusals(case(week(date(2025, 3, 3), "G"))) == ()
    nine = week(date(2025, 3, 3), "G")
    nine[-1] = Mark(nine[-1].day, Session.PM, "/")
    (reason,) = refusals(case(nine))
    assert "at most 9 unauthorised sessions" in reason
    assert "no 10 consecutive G" in reason


def test_full_attendance_without_agreement_gives_every_reason() -> None:
    reasons = refusals(case(week(date(2025, 3, 3)), la_agreed_on=None))
    assert len(reasons) == 2
    assert reasons[0].startswith("the national threshold was not met from 2025-03-03 to 2025-03-19")
    assert reasons[1].startswith("the local authority's agreement is not recorded")


def test_the_offence_must_come_before_the_notice_and_the_agreement_before_it_too() -> None:
    reasons = refusals(
        case(
            week(date(2025, 3, 3), "O"),
            offence_start=date(2025, 3, 20),
            la_agreed_on=date(2025, 3, 21),
        )
    )
    assert reasons == (
        "the offence must come before the notice: from 2025-03-20, notice on 2025-03-20",
        "the local authority agreed on 2025-03-21, after the notice on 2025-03-20",
    )


def test_absence_past_compulsory_school_age_is_no_ground() -> None:
    older = compulsory_school_age(date(2008, 5, 1))
    (reason,) = refusals(case(week(date(2025, 3, 3), "O"), age=older))
    assert reason == (
        "the child was not of compulsory school age from 2025-03-03 to 2025-03-19 "
        "(only from 2013-08-31 to 2024-06-28, Education Act 1996 s8)"
    )


def test_suspension_notices_need_no_threshold() -> None:
    assert refusals(case(week(date(2025, 3, 3)), needs_threshold=False)) == ()
