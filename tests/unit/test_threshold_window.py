"""The window a notice states, session by session (attendance.threshold.window_on): the same
weeks and the same count as `evaluate`, fewer weeks where fewer exist."""

from __future__ import annotations

from datetime import date, timedelta

from attendance.threshold import Mark, Session, evaluate, window_on
from tests.unit.test_threshold import AM, PM, override, register

MONDAY = date(2025, 1, 6)


def test_the_window_is_the_last_ten_school_weeks_and_skips_a_holiday_week() -> None:
    # Twelve weeks of registers with the fourth (27 January) a holiday: no marks at all.
    marks = [
        m
        for m in register(MONDAY, MONDAY + timedelta(weeks=12, days=-3))
        if not date(2025, 1, 27) <= m.day <= date(2025, 1, 31)
    ]
    absent = [(date(2025, 1, 6), AM), (date(2025, 1, 14), PM), (date(2025, 3, 24), AM)]
    marks = override(marks, "O", absent)
    on = date(2025, 3, 28)
    window = window_on(marks, on)
    assert len(window.weeks) == 10 and date(2025, 1, 27) not in window.weeks
    assert window.weeks[0] == date(2025, 1, 13)  # 6 January is the 11th school week back
    assert [(m.day, m.session) for m in window.counted] == absent[1:]
    assert len(window.counted) == evaluate(marks, on).unauthorised_sessions


def test_fewer_school_weeks_are_fewer_and_a_session_absent_at_two_schools_counts_once() -> None:
    marks = override(register(MONDAY, date(2025, 1, 17)), "O", [(date(2025, 1, 15), AM)])
    other = Mark(date(2025, 1, 15), Session.AM, "O", school="200002")
    later = Mark(date(2025, 1, 16), Session.PM, "G")  # after the day counted: not in it
    window = window_on([*marks, other, later], date(2025, 1, 15))
    assert window.weeks == (date(2025, 1, 6), date(2025, 1, 13))
    assert [(m.day, m.code) for m in window.counted] == [(date(2025, 1, 15), "O")]
