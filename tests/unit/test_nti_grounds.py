"""An NTI may rely on the threshold met on any school day of the previous 10 school weeks."""

from __future__ import annotations

from datetime import date

from attendance.calendar import SchoolCalendar
from attendance.nti_grounds import grounds, lookback_start
from attendance.threshold import Mark, Session, ThresholdPolicy
from tests import builders as b

CAL = SchoolCalendar.of(
    [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in b.TERMS],
    [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in b.CLOSURES],
)
MARCH = {date(2025, 3, d) for d in range(3, 8)}


def marks(end: date) -> list[Mark]:
    days = b.school_days(date(2025, 2, 24), end)
    return [Mark(d, s, "O" if d in MARCH else "/") for d in days for s in Session]


def test_the_lookback_is_10_school_weeks_skipping_holidays() -> None:
    # Half-term (26 May) and Easter (7 and 14 April) are not school weeks.
    assert lookback_start(CAL, date(2025, 6, 2)) == date(2025, 3, 10)


def test_met_today_is_the_ground() -> None:
    result = grounds(marks(date(2025, 3, 7)), date(2025, 3, 7), CAL, ThresholdPolicy())
    assert (result.met, result.window_end) == (True, date(2025, 3, 7))


def test_a_count_that_dipped_still_founds_a_notice_on_the_latest_day_it_was_met() -> None:
    history = marks(date(2025, 6, 2))
    result = grounds(history, date(2025, 6, 2), CAL, ThresholdPolicy())
    assert (result.met, result.window_start, result.window_end) == (
        True,
        date(2025, 3, 3),
        date(2025, 5, 23),
    )


def test_met_only_before_the_previous_10_school_weeks_is_no_ground() -> None:
    history = marks(date(2025, 9, 12))
    result = grounds(history, date(2025, 9, 12), CAL, ThresholdPolicy())
    assert (result.met, result.window_end) == (False, date(2025, 9, 12))
