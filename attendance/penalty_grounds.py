"""Whether a penalty notice has grounds at all, before the framework's limits are looked at.

The National Framework (DfE 2024) and seed 004: "Fines will only be issued if the national
threshold has been met" (10 unauthorised sessions in 10 school weeks) or, for a single term-time
holiday, 10 consecutive `G` sessions; the child must be of compulsory school age (Education Act
1996 s8); the offence comes before the notice; and "the LA must be in agreement BEFORE any
penalty notice may be issued". Every reason a notice is refused is given, not only the first.
Pure: dates and marks are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from attendance.age import CompulsoryAge
from attendance.prosecution import LIMIT_MONTHS, add_months
from attendance.threshold import (
    HOLIDAY_SESSIONS,
    THRESHOLD_SESSIONS,
    THRESHOLD_WEEKS,
    Mark,
    ThresholdPolicy,
    evaluate_weeks,
    tally,
    term_time_holiday,
)


@dataclass(frozen=True, kw_only=True)
class PenaltyCase:
    """What the grounds are judged on: one child's marks, the LA's codes, the dates."""

    on: date  # the day the notice would be issued
    offence_start: date | None  # None: the six months a prosecution could still reach
    marks: tuple[Mark, ...]
    codes: frozenset[str]
    age: CompulsoryAge
    la_agreed_on: date | None  # the LA's agreement, as recorded
    needs_threshold: bool = True  # attendance notices; suspension notices have other grounds


def offence_period(on: date, offence_start: date | None) -> tuple[date, date]:
    """The first and last days the notice can cover: up to the day before it is issued."""
    return offence_start or add_months(on, -LIMIT_MONTHS), on - timedelta(days=1)


def _most_counted(marks: Iterable[Mark], codes: frozenset[str]) -> int:
    """The highest threshold count on any day of these marks (weeks from these marks only)."""
    marks = list(marks)
    weeks = tally(marks)
    policy = ThresholdPolicy(codes=codes)
    days = sorted({m.day for m in marks if m.code in codes})
    return max((evaluate_weeks(weeks, d, policy).unauthorised_sessions for d in days), default=0)


def _threshold_reason(case: PenaltyCase, first: date, last: date) -> str | None:
    inside = [m for m in case.marks if first <= m.day <= last]
    if term_time_holiday(inside) is not None:
        return None
    most = _most_counted(inside, case.codes)
    if most >= THRESHOLD_SESSIONS:
        return None
    return (
        f"the national threshold was not met from {first} to {last}: at most {most} unauthorised "
        f"sessions in {THRESHOLD_WEEKS} school weeks ({THRESHOLD_SESSIONS} needed), and no "
        f"{HOLIDAY_SESSIONS} consecutive G sessions of a term-time holiday"
    )


def _agreement_reason(case: PenaltyCase) -> str | None:
    if case.la_agreed_on is None:
        return (
            "the local authority's agreement is not recorded: the LA must agree before any "
            "penalty notice is issued (record it with `penalty agree`)"
        )
    if case.la_agreed_on > case.on:
        return f"the local authority agreed on {case.la_agreed_on}, after the notice on {case.on}"
    return None


def refusals(case: PenaltyCase) -> tuple[str, ...]:
    """Every reason the grounds for this notice fail; empty when there are grounds."""
    start, end = offence_period(case.on, case.offence_start)
    reasons: list[str] = []
    if start > end:
        reasons.append(
            f"the offence must come before the notice: from {start}, notice on {case.on}"
        )
    else:
        first, last = max(start, case.age.first_day), min(end, case.age.last_day)
        if first > last:
            reasons.append(
                f"the child was not of compulsory school age from {start} to {end} (only from "
                f"{case.age.first_day} to {case.age.last_day}, Education Act 1996 s8)"
            )
        elif case.needs_threshold:
            reasons.append(_threshold_reason(case, first, last) or "")
    reasons.append(_agreement_reason(case) or "")
    return tuple(r for r in reasons if r)
