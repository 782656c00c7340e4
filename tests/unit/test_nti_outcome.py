"""The pure rules of service and of the end of an improvement period (attendance/nti_outcome)."""

from __future__ import annotations

from datetime import date, timedelta

from attendance.authorities import BUILT_IN
from attendance.calendar import SchoolCalendar
from attendance.nti import ImprovementPeriod
from attendance.nti_outcome import Finding, end_of_period, missing_registers, served_period
from attendance.threshold import Mark, Session

ESSEX = BUILT_IN["essex"]
AUTUMN = SchoolCalendar.of([(date(2024, 9, 2), date(2024, 12, 20))], [])
ISSUED = date(2024, 10, 18)  # a Friday
PERIOD = ImprovementPeriod(date(2024, 10, 21), date(2024, 11, 29))


def present(start: date, end: date) -> list[Mark]:
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return [Mark(d, s, "/") for d in days if d.weekday() < 5 for s in (Session.AM, Session.PM)]


def test_no_period_while_any_parent_is_unserved() -> None:
    assert served_period(AUTUMN, ISSUED, [ISSUED, None], ESSEX) is None
    assert served_period(AUTUMN, ISSUED, [], ESSEX) is None


def test_served_on_the_day_of_issue_is_the_planned_period_and_later_moves_it() -> None:
    assert served_period(AUTUMN, ISSUED, [ISSUED, date(2024, 10, 17)], ESSEX) == PERIOD
    later = served_period(AUTUMN, ISSUED, [ISSUED, date(2024, 10, 22)], ESSEX)
    assert later == ImprovementPeriod(date(2024, 10, 23), date(2024, 12, 3))


def test_full_registers_and_no_further_absence_is_improved() -> None:
    marks = present(PERIOD.start, PERIOD.end)
    assert missing_registers(AUTUMN, PERIOD, marks) == []
    end = end_of_period(PERIOD, 0, 0, [], marks, [])
    assert (end.finding, end.reasons) == (Finding.IMPROVED, ())


def test_an_unresolved_n_or_non_engagement_is_undecided_and_absence_is_not_improved() -> None:
    marks = [*present(PERIOD.start, PERIOD.end), Mark(date(2024, 11, 5), Session.AM, "N")]
    end = end_of_period(PERIOD, 0, 0, [], marks, [date(2024, 9, 30), date(2024, 11, 6)])
    assert end.finding is Finding.UNDECIDED
    assert end.reasons == (
        "1 N marks still unresolved (first 2024-11-05)",
        "the parent's non-engagement was logged on 2024-11-06",
    )
    # Non-engagement before the period is not a reason; absence beyond the allowance decides.
    assert (
        end_of_period(
            PERIOD, 0, 0, [], present(PERIOD.start, PERIOD.end), [date(2024, 9, 30)]
        ).finding
        is Finding.IMPROVED
    )
    assert (
        end_of_period(PERIOD, 1, 2, [date(2024, 11, 4)], marks, []).finding is Finding.NOT_IMPROVED
    )


def test_a_week_without_registers_is_missing() -> None:
    marks = present(PERIOD.start, date(2024, 11, 22))
    assert missing_registers(AUTUMN, PERIOD, marks) == [date(2024, 11, d) for d in range(25, 30)]
