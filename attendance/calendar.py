"""A school's calendar: terms, closures, school days and school weeks.

Weeks run Monday to Sunday. A school is open on the weekdays inside a term, except closures
(INSET days, bank holidays, an election day...).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

# How far we look for the next school day before deciding the calendar has run out: longer
# than any summer holiday, shorter than a year, so a missing next term is reported, not looped on.
_SEARCH_LIMIT_DAYS = 120


# The dates a register, a date of birth or a notice can carry. Outside them date arithmetic
# (a window 10 weeks back, a period 6 weeks on) would run off Python's calendar, and no such
# date is ever a real one here: a year 1 or 9999 in a file is a typing or export error.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def out_of_range(day: date) -> str | None:
    """Why `day` is not a date supportfirst works with, or None when it is."""
    if EARLIEST <= day <= LATEST:
        return None
    return f"{day.isoformat()} is outside {EARLIEST.year}-{LATEST.year}"


class CalendarError(ValueError):
    """The calendar cannot answer: usually a term that has not been imported yet."""


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, order=True)
class DateRange:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise CalendarError(f"range ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class SchoolCalendar:
    terms: tuple[DateRange, ...] = ()
    closures: tuple[DateRange, ...] = field(default=())

    @classmethod
    def of(
        cls, terms: Iterable[tuple[date, date]], closures: Iterable[tuple[date, date]] = ()
    ) -> SchoolCalendar:
        return cls(
            tuple(sorted(DateRange(s, e) for s, e in terms)),
            tuple(sorted(DateRange(s, e) for s, e in closures)),
        )

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        if not any(day in t for t in self.terms):
            return False
        return not any(day in c for c in self.closures)

    def why_closed(self, day: date) -> str | None:
        """Why `day` is not a school day (None when it is one). Without any term on record only
        a weekend is known to be closed."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if not self.terms:
            return None
        if not any(day in t for t in self.terms):
            return "outside its terms"
        if any(day in c for c in self.closures):
            return "a closure day"
        return None

    def school_days_from(self, start: date) -> Iterator[date]:
        """School days on or after `start`, in order; CalendarError when the calendar runs out."""
        day, gap = start, 0
        while True:
            if self.is_school_day(day):
                gap = 0
                yield day
            else:
                gap += 1
                if gap > _SEARCH_LIMIT_DAYS:
                    raise CalendarError(
                        f"no school day in the calendar for {_SEARCH_LIMIT_DAYS} days after "
                        f"{day - timedelta(days=gap - 1)}: import the next term's dates"
                    )
            day += timedelta(days=1)

    def next_school_day(self, after: date) -> date:
        return next(self.school_days_from(after + timedelta(days=1)))

    def add_school_days(self, start: date, n: int) -> date:
        """The n-th school day counting from `start` (which counts as day 1 if it is one)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        for i, day in enumerate(self.school_days_from(start), start=1):
            if i == n:
                return day
        raise AssertionError("unreachable")  # pragma: no cover

    def add_school_weeks(self, start: date, n: int) -> date:
        """The last school day of a period of n school weeks beginning at `start`.

        The period is n times seven days from its first school day, lengthened by a week for
        each Monday-to-Sunday week inside it with no school day (a half-term, the summer), so
        the family always gets n weeks of school time, wherever in the week it starts.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        first = next(self.school_days_from(start))
        holidays = 0
        while True:
            end = first + timedelta(days=7 * (n + holidays) - 1)
            found = self._weeks_without_school(week_monday(first) + timedelta(days=7), end)
            if found == holidays:
                break
            holidays = found
            if holidays > 26:
                raise CalendarError(
                    f"the calendar has no school days for months after {first}: "
                    "import the next term's dates"
                )
        while not self.is_school_day(end):
            end -= timedelta(days=1)
        return end

    def _weeks_without_school(self, monday: date, end: date) -> int:
        weeks = 0
        while monday <= end:
            weeks += not any(self.is_school_day(monday + timedelta(days=i)) for i in range(7))
            monday += timedelta(days=7)
        return weeks

    def school_days_between(self, start: date, end: date) -> int:
        """How many school days lie in [start, end]."""
        days, day = 0, start
        while day <= end:
            days += self.is_school_day(day)
            day += timedelta(days=1)
        return days
