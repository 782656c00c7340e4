"""When a Notice to Improve starts to run, and what the evidence says at the end of its period.

Service (seed 004: "clear evidence of how you know that they have received it"): the period
runs from the first school day after the *last* parent's deemed receipt (email: CPR 6.26,
attendance/service.py; first-class post: the second working day after posting, Interpretation
Act 1978 s7, attendance/penalty.py; by hand: that day), for as long as the LA's rules give.

The outcome is a judgement (seeds 000/001): the count informs it. Missing registers, an `N`
still unresolved, or the parent's non-engagement logged during the period leave it
`undecided`, never `improved`; staff decide and record why (casework/notice_decisions.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from attendance.authorities import AuthorityRules
from attendance.calendar import SchoolCalendar
from attendance.nti import ImprovementPeriod, improvement_period
from attendance.threshold import Mark

# A mark whose reason is not yet established (2024 code set).
UNRESOLVED = "N"


class Finding(StrEnum):
    IMPROVED = "improved"
    NOT_IMPROVED = "not_improved"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class EndOfPeriod:
    finding: Finding
    further: int
    reasons: tuple[str, ...]


def served_period(
    calendar: SchoolCalendar,
    issued_on: date,
    receipts: Sequence[date | None],
    rules: AuthorityRules,
) -> ImprovementPeriod | None:
    """The period as served, or None while any parent's receipt is not evidenced (None)."""
    if not receipts or any(r is None for r in receipts):
        return None
    last = max(r for r in receipts if r is not None)
    # Served on the day of issue (an email accepted before 4.30pm): the planned period.
    return improvement_period(calendar, max(last, issued_on), rules)


def _days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(days=i) for i in range((end - start).days + 1))


def missing_registers(
    calendar: SchoolCalendar, period: ImprovementPeriod, marks: Iterable[Mark]
) -> list[date]:
    """School days of the period with no mark at all for the pupil."""
    marked = {m.day for m in marks}
    return [
        d for d in _days(period.start, period.end) if calendar.is_school_day(d) and d not in marked
    ]


def end_of_period(
    period: ImprovementPeriod,
    allowed: int,
    further: int,
    missing: Sequence[date],
    marks: Iterable[Mark],
    not_engaged_on: Iterable[date],
) -> EndOfPeriod:
    """What the evidence says once the period is over: `further` counts its threshold-code
    sessions, `missing` its school days without registers, `not_engaged_on` the days a
    parent's non-engagement was logged."""
    if further > allowed:
        reasons = (f"{further} further unauthorised sessions ({allowed} allowed)",)
        return EndOfPeriod(Finding.NOT_IMPROVED, further, reasons)
    within = [m for m in marks if m.code == UNRESOLVED and period.start <= m.day <= period.end]
    reasons_found: list[str] = []
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        reasons_found.append(f"registers missing for {len(missing)} school days: {shown}{more}")
    if within:
        first = min(m.day for m in within)
        reasons_found.append(f"{len(within)} N marks still unresolved (first {first})")
    disengaged = sorted(d for d in not_engaged_on if period.start <= d <= period.end)
    if disengaged:
        reasons_found.append(f"the parent's non-engagement was logged on {disengaged[0]}")
    if reasons_found:
        return EndOfPeriod(Finding.UNDECIDED, further, tuple(reasons_found))
    return EndOfPeriod(Finding.IMPROVED, further, ())


@dataclass(frozen=True)
class EscalationGrounds:
    """Why a school would escalate before the period ends, as the intend letter states it."""

    further: int  # threshold-code sessions since the period began
    since: date
    not_engaged: tuple[str, ...]  # what was logged, in the parent-readable words used

    @property
    def any(self) -> bool:
        return self.further > 0 or bool(self.not_engaged)


def early_escalation_grounds(
    since: date,
    on: date,
    marks: Iterable[Mark],
    codes: frozenset[str],
    not_engaged: Iterable[tuple[date, str]],
) -> EscalationGrounds:
    """The further unauthorised absence from `since` to `on`, and the non-engagement logged
    in that time (seed 001: non-engagement is itself a reason to refer)."""
    further = sum(1 for m in marks if m.code in codes and since <= m.day <= on)
    logged = tuple(text for day, text in sorted(not_engaged) if since <= day <= on)
    return EscalationGrounds(further, since, logged)
