"""The six-month time limit for laying a prosecution."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from attendance.prosecution import add_months, may_be_near, prosecution_deadline, time_limit_near


def test_six_months_from_the_last_day_of_august_is_the_last_day_of_february() -> None:
    assert prosecution_deadline(date(2025, 8, 31)) == date(2026, 2, 28)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)


def test_the_warning_runs_from_six_weeks_before_the_deadline_to_the_deadline() -> None:
    offence = date(2025, 3, 17)
    assert not time_limit_near(offence, date(2025, 8, 5))
    assert time_limit_near(offence, date(2025, 8, 6))
    assert time_limit_near(offence, date(2025, 9, 17))
    assert not time_limit_near(offence, date(2025, 9, 18))


@given(
    start=st.dates(date(2023, 9, 1), date(2026, 7, 31)),
    length=st.integers(0, 120),
    on=st.dates(date(2023, 9, 1), date(2027, 7, 31)),
)
def test_a_window_not_maybe_near_holds_no_offence_whose_limit_is_near(
    start: date, length: int, on: date
) -> None:
    """The daily review skips such windows without reading their marks."""
    end = start + timedelta(days=length)
    days = [start + timedelta(days=i) for i in range(length + 1)]
    assert may_be_near(start, end, on) == any(time_limit_near(d, on) for d in days)
