"""SchoolCalendar: school days, school weeks, and a calendar that runs out."""

from __future__ import annotations

from datetime import date

import pytest

from attendance.calendar import CalendarError, DateRange, SchoolCalendar, week_monday

AUTUMN_1 = (date(2024, 9, 2), date(2024, 10, 25))
AUTUMN_2 = (date(2024, 11, 4), date(2024, 12, 20))  # half-term 28 Oct - 1 Nov
INSET = (date(2024, 10, 14), date(2024, 10, 14))  # a Monday


def calendar(terms, closures=()) -> SchoolCalendar:
    return SchoolCalendar.of(terms, closures)


AUTUMN = calendar([AUTUMN_1, AUTUMN_2], [INSET])


def test_weekdays_in_term_are_school_days():
    assert AUTUMN.is_school_day(date(2024, 10, 11))  # Friday
    assert AUTUMN.is_school_day(date(2024, 11, 4))  # Monday after half-term


def test_weekends_inset_days_and_half_term_are_not_school_days():
    assert not AUTUMN.is_school_day(date(2024, 10, 12))  # Saturday
    assert not AUTUMN.is_school_day(date(2024, 10, 13))  # Sunday
    assert not AUTUMN.is_school_day(date(2024, 10, 14))  # INSET
    assert not AUTUMN.is_school_day(date(2024, 10, 30))  # half-term
    assert not AUTUMN.is_school_day(date(2024, 8, 30))  # before the term


def test_add_school_days_counts_the_start_as_day_one_and_skips_a_weekend_and_an_inset_day():
    assert AUTUMN.add_school_days(date(2024, 10, 10), 1) == date(2024, 10, 10)  # Thursday
    assert AUTUMN.add_school_days(date(2024, 10, 10), 3) == date(2024, 10, 15)  # Thu, Fri, Tue


def test_add_school_days_from_a_weekend_starts_on_the_next_school_day():
    assert AUTUMN.add_school_days(date(2024, 10, 12), 1) == date(2024, 10, 15)


def test_next_school_day_after_the_last_day_before_half_term_is_the_monday_after():
    assert AUTUMN.next_school_day(date(2024, 10, 25)) == date(2024, 11, 4)


def test_add_school_weeks_does_not_count_a_half_term_week():
    assert AUTUMN.add_school_weeks(date(2024, 10, 21), 1) == date(2024, 10, 25)
    assert AUTUMN.add_school_weeks(date(2024, 10, 21), 2) == date(2024, 11, 8)


def test_add_school_weeks_runs_in_seven_day_blocks_from_the_start():
    # From Wednesday 2 Oct the blocks are Wed-Tue: the second ends on Tuesday 15 Oct.
    assert AUTUMN.add_school_weeks(date(2024, 10, 2), 2) == date(2024, 10, 15)


def test_the_last_school_week_before_the_calendar_ends_is_still_found():
    assert AUTUMN.add_school_weeks(date(2024, 12, 16), 1) == date(2024, 12, 20)


def test_calendar_error_when_there_is_no_next_term():
    with pytest.raises(CalendarError, match="next term"):
        AUTUMN.add_school_days(date(2024, 12, 19), 3)
    with pytest.raises(CalendarError):
        AUTUMN.add_school_weeks(date(2024, 12, 16), 2)
    with pytest.raises(CalendarError):
        AUTUMN.next_school_day(date(2024, 12, 20))


def test_school_days_between_leaves_out_weekends_inset_and_half_term():
    assert AUTUMN.school_days_between(date(2024, 10, 7), date(2024, 11, 8)) == 19  # 25 - 1 - 5


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(CalendarError):
        DateRange(date(2024, 10, 25), date(2024, 9, 2))


def test_week_monday_is_the_monday_of_the_week():
    assert week_monday(date(2024, 10, 13)) == date(2024, 10, 7)  # Sunday
    assert week_monday(date(2024, 10, 7)) == date(2024, 10, 7)


def test_a_calendar_of_two_terms_and_two_closures_can_be_built_with_of():
    cal = SchoolCalendar.of([AUTUMN_2, AUTUMN_1], [INSET, (date(2024, 9, 2), date(2024, 9, 3))])
    assert cal.terms == (DateRange(*AUTUMN_1), DateRange(*AUTUMN_2))
    assert not cal.is_school_day(date(2024, 9, 3))
