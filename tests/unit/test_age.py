"""Compulsory school age at its edges (Education Act 1996 s8)."""

from __future__ import annotations

from datetime import date

import pytest

from attendance.age import compulsory_school_age, last_friday_of_june, of_compulsory_school_age


@pytest.mark.parametrize(
    ("birthday", "first_day"),
    [
        (date(2019, 8, 30), date(2024, 8, 31)),  # day before a prescribed day
        (date(2019, 8, 31), date(2024, 8, 31)),  # on it: that very day
        (date(2019, 9, 1), date(2024, 12, 31)),  # day after: the next one
        (date(2019, 12, 30), date(2024, 12, 31)),
        (date(2019, 12, 31), date(2024, 12, 31)),
        (date(2020, 1, 1), date(2025, 3, 31)),
        (date(2020, 3, 30), date(2025, 3, 31)),
        (date(2020, 3, 31), date(2025, 3, 31)),
        (date(2020, 4, 1), date(2025, 8, 31)),
        (date(2020, 2, 29), date(2025, 3, 31)),  # turns 5 on 1 March 2025
    ],
)
def test_compulsory_school_age_starts_on_the_prescribed_day_on_or_after_the_5th_birthday(
    birthday: date, first_day: date
) -> None:
    age = compulsory_school_age(birthday)
    assert age.first_day == first_day
    assert not of_compulsory_school_age(birthday, first_day.replace(day=first_day.day - 1))
    assert of_compulsory_school_age(birthday, first_day)


def test_the_last_friday_of_june() -> None:
    assert last_friday_of_june(2025) == date(2025, 6, 27)
    assert last_friday_of_june(2023) == date(2023, 6, 30)  # 30 June itself a Friday
    assert last_friday_of_june(2024) == date(2024, 6, 28)
    assert last_friday_of_june(2028) == date(2028, 6, 30)


@pytest.mark.parametrize(
    ("birthday", "last_day"),
    [
        # Turning 16 in the summer holiday: the school year ends before the birthday.
        (date(2009, 8, 31), date(2025, 6, 27)),
        (date(2009, 7, 1), date(2025, 6, 27)),
        # Turning 16 on 1 September: a new school year, so the next June.
        (date(2009, 9, 1), date(2026, 6, 26)),
        (date(2010, 6, 26), date(2026, 6, 26)),
        (date(2010, 6, 27), date(2026, 6, 26)),
    ],
)
def test_compulsory_school_age_ends_on_the_last_friday_of_june_of_the_year_they_turn_16(
    birthday: date, last_day: date
) -> None:
    assert compulsory_school_age(birthday).last_day == last_day
    assert of_compulsory_school_age(birthday, last_day)
    assert not of_compulsory_school_age(birthday, date.fromordinal(last_day.toordinal() + 1))


def test_a_seventeen_year_old_is_not_of_compulsory_school_age() -> None:
    assert not of_compulsory_school_age(date(2008, 5, 1), date(2025, 3, 3))
    assert of_compulsory_school_age(date(2015, 3, 1), date(2025, 3, 3))
