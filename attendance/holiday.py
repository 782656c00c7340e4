"""The term-time holiday route to the threshold: 10 consecutive `G` sessions (DfE National
Framework 2024: a penalty notice may be considered for a single term-time holiday of 10 sessions
or more, whether or not the 10-in-10-weeks threshold is otherwise reached). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from attendance.threshold import Mark, Run, term_time_holiday


class ThresholdRoute(StrEnum):
    UNAUTHORISED = "unauthorised"  # 10 sessions of the LA's threshold codes in 10 school weeks
    TERM_TIME_HOLIDAY = "term_time_holiday"  # 10 consecutive G inside the window


def holiday_in_window(marks: Iterable[Mark], window_start: date | None, on: date) -> Run | None:
    """A run of 10 or more consecutive `G` lying wholly inside the window ending on `on`."""
    if window_start is None:
        return None
    return term_time_holiday(m for m in marks if window_start <= m.day <= on)


def route(marks: Iterable[Mark], window_start: date | None, on: date) -> ThresholdRoute:
    if holiday_in_window(marks, window_start, on) is not None:
        return ThresholdRoute.TERM_TIME_HOLIDAY
    return ThresholdRoute.UNAUTHORISED
