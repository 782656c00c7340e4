"""Missing registers are not "no absence" (DOMAIN.md, "What makes a case fail").

A week of term at a school the pupil was on roll at, with no marks for them there, must not be
skipped: the threshold's window would reach back over it to older weeks (CONTRACT.md's count,
which stays as defined), and an NTI's end would read it as good attendance. This module finds
those weeks; casework refuses a notice or penalty while its window has any.

A week (Monday to Sunday) is **registers missing** for a pupil, as seen on `on`, when:

- the pupil had no school session in it at any school (a mark other than `#`, `Y4`, `Z` dated on
  or before `on`): a week with real marks from some school is not skipped by the window;
- some school S has a school day in it (by S's calendar) on or before `on`;
- the pupil was on roll at S then: S has a mark for them before that week and one after it
  (between their first and last mark there), and no mark in it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from attendance.calendar import SchoolCalendar, week_monday

_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class SchoolRegister:
    """One school's marks for one pupil, as far as the rule needs them."""

    school: str
    marked: frozenset[date]  # Mondays of the weeks in the span with a mark from this school
    before: bool = False  # this school marked the pupil before the span
    after: bool = False  # ... or after it


@dataclass(frozen=True)
class Roll:
    """The span one school marked a pupil over: its first mark and its last (None while it was
    the pupil's school of record: the span runs on)."""

    school: str
    first_day: date
    last_day: date | None = None


def term_mondays(calendar: SchoolCalendar, start: date, on: date) -> list[date]:
    """Mondays of the weeks from `start`'s to `on`'s with a school day on or before `on`."""
    found, monday = [], week_monday(start)
    while monday <= on:
        days = (monday + timedelta(days=i) for i in range(7))
        if any(d <= on and calendar.is_school_day(d) for d in days):
            found.append(monday)
        monday += _WEEK
    return found


def may_miss_registers(terms: Sequence[date], start: date, upto: date, school_weeks: int) -> bool:
    """A cheap first look for a county: more weeks of term at the pupil's school between
    `start` and `upto` (sorted Mondays) than weeks the pupil had a school session in, so some
    week of term had none (a missing register, or only `Z`/`#`/`Y4` marks): look closer."""
    return bisect_right(terms, upto) - bisect_left(terms, start) > school_weeks


def may_miss_registers_on_roll(
    terms: Mapping[str, Sequence[date]],
    rolls: Iterable[Roll],
    start: date,
    upto: date,
    school_weeks: int,
) -> bool:
    """The first look for a pupil marked by several schools: the weeks of term at each school
    (`terms`, sorted Mondays), by its own calendar, over the span it marked the pupil, taken
    together. A week of term at an earlier school can be a holiday at the pupil's school now
    (an academy's own half-term), so the current school's weeks alone can miss it. Spans wider
    than the truth only send more pupils to the close look."""
    weeks: set[date] = set()
    for roll in rolls:
        own = terms.get(roll.school, ())
        lo = max(start, week_monday(roll.first_day))
        hi = upto if roll.last_day is None else min(upto, roll.last_day)
        weeks.update(own[bisect_left(own, lo) : bisect_right(own, hi)])
    return len(weeks) > school_weeks


def _on_roll(register: SchoolRegister, monday: date) -> bool:
    earlier = register.before or any(m < monday for m in register.marked)
    later = register.after or any(m > monday for m in register.marked)
    return earlier and later and monday not in register.marked


def missing_weeks(
    registers: Iterable[SchoolRegister],
    school_weeks: frozenset[date],
    calendars: Mapping[str, SchoolCalendar],
    start: date,
    on: date,
) -> list[date]:
    """The Mondays of the weeks from `start` to `on` whose registers are missing, in order.
    `school_weeks` are the Mondays the pupil had a school session in, at any school."""
    missing: set[date] = set()
    for register in registers:
        calendar = calendars.get(register.school, SchoolCalendar())
        for monday in term_mondays(calendar, start, on):
            if monday not in school_weeks and _on_roll(register, monday):
                missing.add(monday)
    return sorted(missing)


def weeks_of(mondays: Sequence[date]) -> str:
    """Weeks named by their Mondays, "13 Oct, 20 Oct" (with the year when they span two)."""
    years = {m.year for m in mondays}
    fmt = "%-d %b" if len(years) == 1 else "%-d %b %Y"
    return ", ".join(m.strftime(fmt) for m in mondays)
