"""National Framework penalty-notice limits (England, from 19 August 2024).

The school must not request a notice the LA cannot issue, so before asking the ACT we check
the limits: at most 2 attendance notices per parent, per child, in a rolling 3 years (first
£80/£160, second £160 flat, no third), and - counted apart - at most 2 suspension notices per
parent, per child, in any 12 months (£60/£120). Pure: dates are always arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

# "Clocks reset on 19 August 2024": earlier absences fall under the LA's old local code.
FRAMEWORK_START = date(2024, 8, 19)

ATTENDANCE_LIMIT = 2
ATTENDANCE_WINDOW_YEARS = 3
SUSPENSION_LIMIT = 2
SUSPENSION_WINDOW_YEARS = 1
EARLY_DAYS = 21
PAY_WITHIN_DAYS = 28
# Amounts in pounds: a first attendance notice, a second (flat), and any suspension notice.
FIRST_EARLY, FIRST_FULL = 80, 160
SECOND_FLAT = 160
SUSPENSION_EARLY, SUSPENSION_FULL = 60, 120
# First-class post is deemed received on the second working day after posting.
DEEMED_RECEIPT_WORKING_DAYS = 2


class PenaltyKind(StrEnum):
    """Attendance and suspension notices have separate limits and never count against each
    other."""

    ATTENDANCE = "attendance"
    SUSPENSION = "suspension"


class PenaltyState(StrEnum):
    """A notice's later life (seed 004): paid; withdrawn (it then counts for nothing); unpaid,
    after which the LA must consider prosecution or withdraw it."""

    ISSUED = "issued"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    UNPAID = "unpaid"
    PROSECUTION_CONSIDERED = "prosecution_considered"


NEXT_STATES: dict[PenaltyState, frozenset[PenaltyState]] = {
    PenaltyState.ISSUED: frozenset(
        {PenaltyState.PAID, PenaltyState.WITHDRAWN, PenaltyState.UNPAID}
    ),
    PenaltyState.UNPAID: frozenset({PenaltyState.PROSECUTION_CONSIDERED, PenaltyState.WITHDRAWN}),
    PenaltyState.PROSECUTION_CONSIDERED: frozenset({PenaltyState.WITHDRAWN}),
    PenaltyState.PAID: frozenset(),
    PenaltyState.WITHDRAWN: frozenset(),
}


def state_change_refusal(current: PenaltyState, new: PenaltyState) -> str | None:
    """Why a notice cannot move from `current` to `new`, or None when it can."""
    if new in NEXT_STATES[current]:
        return None
    allowed = ", ".join(sorted(NEXT_STATES[current])) or "nothing: it is final"
    return f"a penalty notice that is {current} cannot become {new} (it can become {allowed})"


@dataclass(frozen=True)
class PenaltyRecord:
    """A penalty notice already issued (or requested and issued) to one parent for one child."""

    parent_id: str
    upn: str
    kind: PenaltyKind
    issued_on: date
    offence_start: date  # first absence the notice covers: decides framework vs old local code
    withdrawn: bool = False
    state: PenaltyState = PenaltyState.ISSUED
    id: int = field(default=0, compare=False)  # the store's id; 0 before it is stored


@dataclass(frozen=True)
class PenaltyDecision:
    """Whether another notice is possible, at what amounts, and why (for the school office)."""

    allowed: bool
    ordinal: int  # 1 or 2 within the window; 0 when refused
    amount_if_paid_early: int | None  # pounds, if paid within early_days of receipt
    amount: int | None  # pounds, if paid within pay_within_days of receipt
    early_days: int | None  # None when there is no lower early rate (a second notice)
    pay_within_days: int
    reason: str
    counted: tuple[PenaltyRecord, ...]  # the earlier notices that counted towards the limit
    # Every reason it is refused (grounds and limits); `reason` joins them.
    reasons: tuple[str, ...] = ()


def _years_before(day: date, years: int) -> date:
    """The same calendar date `years` earlier; 29 Feb falls back to 28 Feb."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 Feb into a non-leap year
        return day.replace(year=day.year - years, day=28)


def _stops_counting_on(issued_on: date, years: int) -> date:
    """First day on which a notice issued on `issued_on` is outside a rolling `years` window.

    A notice issued on 29 Feb has run its full term only on 1 Mar of a non-leap year.
    """
    try:
        return issued_on.replace(year=issued_on.year + years)
    except ValueError:
        return date(issued_on.year + years, 3, 1)


def _decision(
    ordinal: int,
    early: int | None,
    full: int | None,
    early_days: int | None,
    reason: str,
    counted: tuple[PenaltyRecord, ...],
) -> PenaltyDecision:
    """A decision: allowed as the `ordinal`th notice, or refused (ordinal 0, no amounts)."""
    return PenaltyDecision(
        allowed=ordinal > 0,
        ordinal=ordinal,
        amount_if_paid_early=early,
        amount=full,
        early_days=early_days,
        pay_within_days=PAY_WITHIN_DAYS,
        reason=reason,
        counted=counted,
    )


def _refused(reason: str, counted: tuple[PenaltyRecord, ...]) -> PenaltyDecision:
    return _decision(0, None, None, None, reason, counted)


def _counts(record: PenaltyRecord, kind: PenaltyKind, window_start: date, on: date) -> bool:
    if record.kind is not kind or record.withdrawn or record.state is PenaltyState.WITHDRAWN:
        return False
    if not window_start < record.issued_on <= on:
        return False
    # The 3-year limit only counts notices for absences on/after the framework start. The
    # 12-month suspension limit is the LA's unchanged local rule, so earlier ones still count.
    return kind is PenaltyKind.SUSPENSION or record.offence_start >= FRAMEWORK_START


def next_penalty(
    history: Iterable[PenaltyRecord],
    parent_id: str,
    upn: str,
    on: date,
    kind: PenaltyKind = PenaltyKind.ATTENDANCE,
    offence_start: date | None = None,
) -> PenaltyDecision:
    """Decide whether a notice of `kind` to this parent for this child is possible on `on`.

    `offence_start` is the first absence the new notice would cover; None means not yet known
    and is treated as within the framework.
    """
    if offence_start is not None and offence_start < FRAMEWORK_START:
        return _refused(
            f"the absence starts on {offence_start.isoformat()}, before the National Framework "
            f"began on {FRAMEWORK_START.isoformat()}: the LA's previous local code of conduct "
            "applies, so ask the Attendance Compliance Team",
            (),
        )
    years = ATTENDANCE_WINDOW_YEARS if kind is PenaltyKind.ATTENDANCE else SUSPENSION_WINDOW_YEARS
    window_start = _years_before(on, years)
    mine = (r for r in history if r.parent_id == parent_id and r.upn == upn)
    counted = tuple(
        sorted((r for r in mine if _counts(r, kind, window_start, on)), key=lambda r: r.issued_on)
    )
    limit = ATTENDANCE_LIMIT if kind is PenaltyKind.ATTENDANCE else SUSPENSION_LIMIT
    if len(counted) >= limit:
        # Possible again once enough of the oldest counted notices have aged out of the window.
        return _limit_reached(kind, counted, _stops_counting_on(counted[-limit].issued_on, years))
    return _possible(kind, counted)


def _limit_reached(
    kind: PenaltyKind, counted: tuple[PenaltyRecord, ...], possible_from: date
) -> PenaltyDecision:
    if kind is PenaltyKind.ATTENDANCE:
        return _refused(
            "a third penalty notice to this parent for this child within 3 years is not "
            "possible: consider other legal action such as prosecution "
            f"(a further notice would only be possible from {possible_from.isoformat()})",
            counted,
        )
    return _refused(
        "a third suspension penalty notice to this parent for this child within 12 months "
        f"is not possible: a further one would only be possible from "
        f"{possible_from.isoformat()}",
        counted,
    )


def _amounts(kind: PenaltyKind, ordinal: int) -> tuple[int, int, int | None]:
    """(if paid early, in full, days to pay early) for the `ordinal`th notice of `kind`."""
    if kind is PenaltyKind.SUSPENSION:
        # Suspension notices are not part of the framework's escalation: always £60/£120.
        return SUSPENSION_EARLY, SUSPENSION_FULL, EARLY_DAYS
    if ordinal == 1:
        return FIRST_EARLY, FIRST_FULL, EARLY_DAYS
    # A second notice is a flat £160: there is no lower rate for paying early.
    return SECOND_FLAT, SECOND_FLAT, None


def _possible(kind: PenaltyKind, counted: tuple[PenaltyRecord, ...]) -> PenaltyDecision:
    ordinal = len(counted) + 1
    early, full, early_days = _amounts(kind, ordinal)
    which = "first" if ordinal == 1 else "second"
    noun = "penalty notice" if kind is PenaltyKind.ATTENDANCE else "suspension penalty notice"
    period = "3 years" if kind is PenaltyKind.ATTENDANCE else "12 months"
    terms = (
        f"£{early} if paid within {early_days} days of receipt, £{full} within "
        f"{PAY_WITHIN_DAYS} days"
        if early_days is not None
        else f"£{full} flat, payable within {PAY_WITHIN_DAYS} days of receipt"
    )
    reason = f"a {which} {noun} to this parent for this child within {period} is possible: {terms}"
    return _decision(ordinal, early, full, early_days, reason, counted)


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


def deemed_receipt(posted_on: date, working_days: Callable[[date], bool] | None = None) -> date:
    """The day a first-class letter is deemed received: the second working day after posting.

    `working_days` says whether a day is a working day (default Monday to Friday); pass one that
    also excludes bank holidays, which this pure module cannot know.
    """
    is_working = working_days or _is_weekday
    day = posted_on
    found = 0
    for _ in range(366):  # guards against a callable that never returns True
        day += timedelta(days=1)
        if is_working(day):
            found += 1
            if found == DEEMED_RECEIPT_WORKING_DAYS:
                return day
    raise ValueError(f"no working days found in the year after {posted_on.isoformat()}")


def payment_deadlines(received_on: date) -> tuple[date, date]:
    """The last days to pay at the early rate and in full: 21 and 28 days from receipt."""
    return (
        received_on + timedelta(days=EARLY_DAYS),
        received_on + timedelta(days=PAY_WITHIN_DAYS),
    )
