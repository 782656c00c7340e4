"""When a Notice to Improve has grounds: the threshold met on the issue date, or on any school
day of the previous 10 school weeks (DfE, Working together to improve school attendance, 2024:
support-first steps take time, and the count may since have dipped). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from attendance.calendar import SchoolCalendar, week_monday
from attendance.threshold import Mark, ThresholdPolicy, ThresholdResult, evaluate_weeks, tally

# How far back the threshold may have been met for a notice issued today.
NTI_LOOKBACK_SCHOOL_WEEKS = 10
_MAX_WEEKS_BACK = 60  # the search never goes further than this, whatever the calendar says


def lookback_start(calendar: SchoolCalendar, issued_on: date) -> date:
    """The Monday of the 10th school week (a week with a school day) back from `issued_on`'s;
    weeks with weekdays count where no calendar has been imported."""
    monday, found = week_monday(issued_on), 0
    for _ in range(_MAX_WEEKS_BACK):
        days = [monday + timedelta(days=i) for i in range(5)]
        school = any(calendar.is_school_day(d) for d in days) if calendar.terms else True
        found += school
        if found == NTI_LOOKBACK_SCHOOL_WEEKS:
            return monday
        monday -= timedelta(days=7)
    return monday


def grounds(
    marks: Iterable[Mark], issued_on: date, calendar: SchoolCalendar, policy: ThresholdPolicy
) -> ThresholdResult:
    """The threshold on `issued_on` if met there; else on the latest school day of the previous
    10 school weeks on which it was met; else the result on `issued_on`, not met."""
    weeks = tally(m for m in marks if m.day <= issued_on)
    today = evaluate_weeks(weeks, issued_on, policy)
    if today.met:
        return today
    day, since = issued_on - timedelta(days=1), lookback_start(calendar, issued_on)
    while day >= since:
        if calendar.is_school_day(day) if calendar.terms else day.weekday() < 5:
            result = evaluate_weeks(weeks, day, policy)
            if result.met:
                return result
        day -= timedelta(days=1)
    return today
