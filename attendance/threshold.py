"""The national threshold: 10 unauthorised sessions in a rolling 10 school weeks.

How this project reads "rolling" (shared/CONTRACT.md, "The threshold"): take the Monday-to-Sunday
weeks up to and including the week of DATE in which the pupil had at least one school session
(a mark dated on or before DATE other than `#`, `Y4`, `Z`), whatever school recorded it; the last
10 such weeks are the window; count the sessions dated on or before DATE in those weeks whose code
is one of the local authority's threshold codes. Met at 10 or more.

A week is summarised as bit masks, one bit per session (bit 2*weekday, +1 for PM), so that the
store can keep one small row per pupil per week and evaluate a whole county without reading raw
marks. `evaluate` (from marks) and the store's query both work from that same summary.

Registers are kept per school (DOMAIN.md, "What makes a case fail"): the school that recorded
a mark owns it. `Z` (not yet on roll), `D` (attending the other school), `#` and `Y4` (that
school closed) say nothing about another school's session: where any school recorded a real
mark, those are the session's marks (`effective`). Two different real marks for one session
are a conflict (`conflicts`): both stand, so a counted one still counts, until one school
corrects its register; nothing legal is done on the pupil meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from attendance.calendar import week_monday
from attendance.codes import (
    DEFAULT_THRESHOLD_CODES,
    SILENT_FOR_OTHER_SCHOOLS,
    is_school_session,
    validate_threshold_codes,
)

FULL_WEEK = (1 << 14) - 1
# The national threshold (DOMAIN.md): this many unauthorised sessions in this many school weeks.
THRESHOLD_SESSIONS = 10
THRESHOLD_WEEKS = 10
# A penalty notice for a single term-time holiday needs this many consecutive `G` sessions.
HOLIDAY_SESSIONS = 10


class Session(StrEnum):
    AM = "AM"
    PM = "PM"


@dataclass(frozen=True, order=True)
class Mark:
    day: date
    session: Session
    code: str
    # The school that recorded it (registers are per school: attendance/registers.py).
    school: str = field(default="", compare=False)


@dataclass(frozen=True)
class ThresholdPolicy:
    codes: frozenset[str] = DEFAULT_THRESHOLD_CODES
    sessions: int = THRESHOLD_SESSIONS
    weeks: int = THRESHOLD_WEEKS

    def __post_init__(self) -> None:
        validate_threshold_codes(self.codes)


def session_bit(day: date, session: Session | str) -> int:
    return 1 << (2 * day.weekday() + (1 if session == Session.PM else 0))


def sessions_up_to(on: date) -> int:
    """Mask of the sessions of `on`'s week dated on or before `on`."""
    return (1 << (2 * (on.weekday() + 1))) - 1


def popcount(mask: int) -> int:
    return mask.bit_count()


@dataclass
class WeekTally:
    """One pupil's week: which sessions had a school session, and which had each code."""

    monday: date
    school: int = 0  # sessions with a mark that is not #, Y4 or Z
    by_code: dict[str, int] = field(default_factory=dict)

    def add(self, mark: Mark) -> None:
        bit = session_bit(mark.day, mark.session)
        if is_school_session(mark.code):
            self.school |= bit
        self.by_code[mark.code] = self.by_code.get(mark.code, 0) | bit

    def counted(self, codes: frozenset[str]) -> int:
        mask = 0
        for code in codes:
            mask |= self.by_code.get(code, 0)
        return mask


@dataclass(frozen=True)
class ThresholdResult:
    unauthorised_sessions: int
    window_start: date | None
    window_end: date
    met: bool


@dataclass(frozen=True, order=True)
class Conflict:
    """One session two schools recorded different real marks for: (school, code) each."""

    day: date
    session: str
    marks: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        both = " and ".join(f"{code} from {school}" for school, code in self.marks)
        return f"{self.day} {self.session}: {both}"


def is_real(code: str) -> bool:
    return code not in SILENT_FOR_OTHER_SCHOOLS


def _by_session(marks: Iterable[Mark]) -> dict[tuple[date, str], list[Mark]]:
    sessions: dict[tuple[date, str], list[Mark]] = {}
    for mark in marks:
        sessions.setdefault((mark.day, str(mark.session)), []).append(mark)
    return sessions


def _session_marks(marks: list[Mark]) -> list[Mark]:
    real = [m for m in marks if is_real(m.code)]
    kept = real or marks
    unique: dict[str, Mark] = {}
    for m in sorted(kept, key=lambda m: (m.code, m.school)):
        unique.setdefault(m.code, m)
    return list(unique.values())


def effective(marks: Iterable[Mark]) -> list[Mark]:
    """The marks that stand for each session, sorted: the real ones where any school recorded
    one, otherwise the others; one per code (two schools' `O` are one absence)."""
    return sorted(m for group in _by_session(marks).values() for m in _session_marks(group))


def conflicts(marks: Iterable[Mark]) -> list[Conflict]:
    """Sessions for which two schools recorded different real marks, in date order."""
    found = []
    for (day, session), group in _by_session(marks).items():
        real = sorted({(m.school, m.code) for m in group if is_real(m.code)})
        if len({code for _, code in real}) > 1:
            found.append(Conflict(day, session, tuple(real)))
    return sorted(found)


def tally(marks: Iterable[Mark]) -> dict[date, WeekTally]:
    weeks: dict[date, WeekTally] = {}
    for mark in marks:
        monday = week_monday(mark.day)
        weeks.setdefault(monday, WeekTally(monday)).add(mark)
    return weeks


def _window_weeks(
    weeks: Mapping[date, WeekTally], on: date, policy: ThresholdPolicy
) -> list[tuple[WeekTally, int]]:
    """The window's school weeks, latest first, each with the mask of its sessions up to `on`."""
    this_monday = week_monday(on)
    found: list[tuple[WeekTally, int]] = []
    for monday in sorted((m for m in weeks if m <= this_monday), reverse=True):
        visible = sessions_up_to(on) if monday == this_monday else FULL_WEEK
        if weeks[monday].school & visible:
            found.append((weeks[monday], visible))
            if len(found) == policy.weeks:
                break
    return found


def evaluate_weeks(
    weeks: Mapping[date, WeekTally], on: date, policy: ThresholdPolicy = ThresholdPolicy()
) -> ThresholdResult:
    """The threshold on `on`, from one pupil's week tallies."""
    window = _window_weeks(weeks, on, policy)
    count = sum(popcount(week.counted(policy.codes) & visible) for week, visible in window)
    start = window[-1][0].monday if window else None
    return ThresholdResult(count, start, on, count >= policy.sessions)


def evaluate(
    marks: Iterable[Mark], on: date, policy: ThresholdPolicy = ThresholdPolicy()
) -> ThresholdResult:
    """The threshold on `on`, from one pupil's marks at every school they attended, combined
    per session as attendance/registers.py says."""
    return evaluate_weeks(tally(m for m in effective(marks) if m.day <= on), on, policy)


@dataclass(frozen=True)
class Window:
    """What a count on a day rests on, as a notice states it: the school weeks of the window
    (their Mondays, oldest first; fewer than 10 where fewer exist) and each counted session."""

    weeks: tuple[date, ...]
    counted: tuple[Mark, ...]


def window_on(
    marks: Iterable[Mark], on: date, policy: ThresholdPolicy = ThresholdPolicy()
) -> Window:
    """The window `evaluate` counts on `on`, session by session: one counted mark per session
    (the same session absent at two schools is one absence)."""
    standing = [m for m in effective(marks) if m.day <= on]
    window = _window_weeks(tally(standing), on, policy)
    mondays = {week.monday for week, _ in window}
    counted: dict[tuple[date, str], Mark] = {}
    for m in standing:
        if m.code in policy.codes and week_monday(m.day) in mondays:
            counted.setdefault((m.day, str(m.session)), m)
    return Window(tuple(sorted(mondays)), tuple(sorted(counted.values())))


@dataclass(frozen=True)
class Run:
    length: int
    first: Mark | None
    last: Mark | None


def longest_run(marks: Iterable[Mark], code: str = "G") -> Run:
    """The longest run of consecutive sessions marked `code` (term-time holiday: 10 `G`).

    Sessions on which the school was closed (`#`, `Y4`) or the pupil was not on roll (`Z`) offer
    no chance to attend, so they neither extend nor break a run; any other mark breaks it.
    """
    best = Run(0, None, None)
    length, first = 0, None
    for mark in sorted(marks):
        if not is_school_session(mark.code):
            continue
        if mark.code == code:
            first = mark if length == 0 else first
            length += 1
            if length > best.length:
                best = Run(length, first, mark)
        else:
            length = 0
    return best


def term_time_holiday(marks: Iterable[Mark], sessions: int = HOLIDAY_SESSIONS) -> Run | None:
    """The run of `G` that makes a single term-time holiday penalty-notice case, if any."""
    run = longest_run(marks, "G")
    return run if run.length >= sessions else None
