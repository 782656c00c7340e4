"""The six-month time limit for laying a prosecution."""

from __future__ import annotations

from datetime import date

from attendance.prosecution import add_months, prosecution_deadline, time_limit_near


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
