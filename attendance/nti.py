"""The Notice to Improve: when it may be issued, its improvement period and its daily review.

An NTI may be issued only when the national threshold is met on the issue date (seeds/000,
seeds/001). It is usually not used for a term-time holiday or where a parent's earlier NTI
failed: those are warnings, because the decision is the authorised officer's, case by case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from attendance.authorities import AuthorityRules
from attendance.calendar import SchoolCalendar
from attendance.holiday import holiday_in_window
from attendance.threshold import (
    THRESHOLD_SESSIONS,
    Mark,
    ThresholdResult,
    evaluate,
)


class NtiRefused(ValueError):
    """The law does not allow this Notice to Improve; the message says why."""


class Outcome(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BREACHED = "breached"
    IMPROVED = "improved"
    NOT_IMPROVED = "not_improved"


@dataclass(frozen=True)
class ImprovementPeriod:
    start: date
    end: date


@dataclass(frozen=True)
class NoticePlan:
    issued_on: date
    period: ImprovementPeriod
    max_further_sessions: int
    trigger: ThresholdResult
    warnings: tuple[str, ...]


def improvement_period(
    calendar: SchoolCalendar, issued_on: date, rules: AuthorityRules
) -> ImprovementPeriod:
    """From the first school day after issue, `nti_weeks` school weeks, capped in school days.

    The period starts the school day after the notice is issued, so a parent is never judged on
    the day they are told. A week of holiday inside the period is not a school week and
    extends it (SchoolCalendar.add_school_weeks).
    """
    start = calendar.next_school_day(issued_on)
    end = calendar.add_school_weeks(start, rules.nti_weeks)
    cap = rules.nti_max_school_days
    if cap is not None and calendar.school_days_between(start, end) > cap:
        end = calendar.add_school_days(start, cap)
    return ImprovementPeriod(start, end)


def plan_notice(
    marks: Iterable[Mark],
    issued_on: date,
    calendar: SchoolCalendar,
    rules: AuthorityRules,
    max_further_sessions: int = 0,
    parents_with_failed_nti: Iterable[str] = (),
    met_on: date | None = None,
) -> NoticePlan:
    """Check an NTI may be issued on `issued_on`, and work out its period; NtiRefused if not.
    `met_on`: the day of the previous 10 school weeks the threshold was met (nti_grounds),
    when it is not met on `issued_on` itself."""
    if max_further_sessions < 0:
        raise NtiRefused("sufficient improvement cannot allow a negative number of sessions")
    marks = list(marks)
    trigger = evaluate(marks, met_on or issued_on, rules.policy)
    if not trigger.met:
        raise NtiRefused(
            f"the national threshold is not met on {issued_on}: "
            f"{trigger.unauthorised_sessions} unauthorised sessions in the window from "
            f"{trigger.window_start or 'no school weeks'} ({THRESHOLD_SESSIONS} needed)"
        )
    warnings: list[str] = []
    # Only a holiday inside the window the notice relies on makes it a holiday case.
    holiday = holiday_in_window(marks, trigger.window_start, trigger.window_end)
    if holiday is not None and holiday.first and holiday.last:
        warnings.append(
            f"{holiday.length} consecutive G sessions ({holiday.first.day} to {holiday.last.day}) "
            "look like a term-time holiday: an NTI is usually not used for one"
        )
    for parent in parents_with_failed_nti:
        warnings.append(
            f"parent {parent} already had a Notice to Improve that failed: "
            "another is unlikely to change behaviour; record why one is used"
        )
    period = improvement_period(calendar, issued_on, rules)
    return NoticePlan(issued_on, period, max_further_sessions, trigger, tuple(warnings))


def review(period: ImprovementPeriod, max_further_sessions: int, further: int, on: date) -> Outcome:
    """The daily review: `further` counts threshold-code sessions from the period's start to
    min(on, period end)."""
    if on < period.start:
        return Outcome.NOT_STARTED
    sufficient = further <= max_further_sessions
    # The last day's registers may not be complete until that day is over.
    if on <= period.end:
        return Outcome.IN_PROGRESS if sufficient else Outcome.BREACHED
    return Outcome.IMPROVED if sufficient else Outcome.NOT_IMPROVED
