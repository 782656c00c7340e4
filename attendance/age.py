"""Compulsory school age (Education Act 1996 s8). Pure: dates are always arguments.

A child becomes of compulsory school age on the prescribed day (31 August, 31 December or
31 March) following their 5th birthday, or on it if the birthday falls then (s8(2)); in
practice the term after the birthday: the one starting on 1 September, 1 January or 1 April.
They cease to be of compulsory school age after the last Friday in June of the school year
(1 September to 31 August) in which they turn 16. Absence outside these dates can trigger
nothing: not the threshold, not a notice, not a penalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

START_AGE = 5
LEAVING_AGE = 16
# The prescribed days (month, day) of s8(3), in calendar order.
PRESCRIBED_DAYS = ((3, 31), (8, 31), (12, 31))
LEAVING_MONTH = 6  # the last Friday in June
FRIDAY = 4
SCHOOL_YEAR_STARTS = (9, 1)


@dataclass(frozen=True, kw_only=True)
class CompulsoryAge:
    """The first and last days a child is of compulsory school age (both inclusive)."""

    first_day: date
    last_day: date

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def _birthday(date_of_birth: date, age: int) -> date:
    """The day a child turns `age`; a 29 February birthday falls on 1 March in other years."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + age)
    except ValueError:
        return date(date_of_birth.year + age, 3, 1)


def prescribed_day_on_or_after(day: date) -> date:
    for month, dom in PRESCRIBED_DAYS:
        candidate = date(day.year, month, dom)
        if candidate >= day:
            return candidate
    raise AssertionError("31 December is always on or after any day of its year")


def last_friday_of_june(year: int) -> date:
    day = date(year, LEAVING_MONTH, 30)
    return day - timedelta(days=(day.weekday() - FRIDAY) % 7)


def school_year_end(day: date) -> int:
    """The calendar year in which the school year containing `day` ends (its summer)."""
    return day.year + 1 if (day.month, day.day) >= SCHOOL_YEAR_STARTS else day.year


@cache  # a county's threshold asks for every pupil's: a few thousand birthdays in all
def compulsory_school_age(date_of_birth: date) -> CompulsoryAge:
    fifth = _birthday(date_of_birth, START_AGE)
    first = prescribed_day_on_or_after(fifth)
    sixteenth = _birthday(date_of_birth, LEAVING_AGE)
    return CompulsoryAge(first_day=first, last_day=last_friday_of_june(school_year_end(sixteenth)))


def of_compulsory_school_age(date_of_birth: date, on: date) -> bool:
    return compulsory_school_age(date_of_birth).covers(on)
