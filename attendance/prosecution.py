"""The time limit for a prosecution: it must be laid within 6 months of the offence (DOMAIN.md;
Magistrates' Courts Act 1980 s.127), so a case that may go to court must be referred in time."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from attendance.threshold import Mark

LIMIT_MONTHS = 6
WARN_BEFORE = timedelta(weeks=6)  # time for the LA to prepare and lay the information


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def prosecution_deadline(offence: date) -> date:
    """The last day an information can be laid for an offence on `offence`."""
    return add_months(offence, LIMIT_MONTHS)


def first_offence(
    marks: Iterable[Mark], start: date, end: date, codes: frozenset[str]
) -> date | None:
    """The first day in [start, end] with an unauthorised (counted) session."""
    days = [m.day for m in marks if start <= m.day <= end and m.code in codes]
    return min(days) if days else None


def time_limit_near(offence: date, on: date, warn_before: timedelta = WARN_BEFORE) -> bool:
    deadline = prosecution_deadline(offence)
    return deadline - warn_before <= on <= deadline


def may_be_near(start: date, end: date, on: date, warn_before: timedelta = WARN_BEFORE) -> bool:
    """Whether the time limit can be near on `on` for any offence in [start, end]: the
    deadline only moves later with the offence, so a window whose first day is not yet near,
    or whose last day is past, needs no look at its marks."""
    return prosecution_deadline(start) - warn_before <= on <= prosecution_deadline(end)
