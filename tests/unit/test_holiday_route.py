"""The term-time holiday route: its own ThresholdMet reason, and only holidays in the window."""

from __future__ import annotations

from datetime import date, timedelta

from attendance.authorities import BUILT_IN
from attendance.calendar import SchoolCalendar
from attendance.holiday import ThresholdRoute, holiday_in_window, route
from attendance.nti import plan_notice
from attendance.threshold import Mark, Session

ISSUED = date(2024, 10, 18)
CAL = SchoolCalendar.of(
    [(date(2024, 9, 2), date(2024, 10, 25)), (date(2024, 11, 4), date(2024, 12, 20))]
)


def marks(codes: dict[date, str], start: date) -> list[Mark]:
    days = [start + timedelta(days=i) for i in range((ISSUED - start).days + 1)]
    return [Mark(d, s, codes.get(d, "/")) for d in days if d.weekday() < 5 for s in Session]


TEN_O = {date(2024, 10, d): "O" for d in (7, 9, 11, 15, 17)}
JUNE_HOLIDAY = {date(2024, 6, d): "G" for d in range(3, 8)}


def test_a_holiday_outside_the_window_gives_no_holiday_warning_nor_route() -> None:
    history = marks({**TEN_O, **JUNE_HOLIDAY}, start=date(2024, 6, 3))
    plan = plan_notice(history, ISSUED, CAL, BUILT_IN["essex"])
    assert plan.trigger.window_start == date(2024, 8, 12)
    assert plan.warnings == ()
    assert holiday_in_window(history, date(2024, 6, 3), ISSUED) is not None
    assert route(history, plan.trigger.window_start, ISSUED) is ThresholdRoute.UNAUTHORISED


def test_ten_consecutive_g_inside_the_window_is_the_term_time_holiday_route() -> None:
    october = {date(2024, 10, d): "G" for d in range(7, 12)}
    history = marks(october, start=date(2024, 9, 2))
    assert route(history, date(2024, 9, 2), ISSUED) is ThresholdRoute.TERM_TIME_HOLIDAY
    assert route(history, None, ISSUED) is ThresholdRoute.UNAUTHORISED
    assert len(plan_notice(history, ISSUED, CAL, BUILT_IN["essex"]).warnings) == 1
