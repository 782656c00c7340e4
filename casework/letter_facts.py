"""What a letter states beyond names and dates, read from the case: the grounds of a Notice to
Improve session by session, the support offered so far with its dates, the penalty-notice terms
that would apply to this parent, a term-time leave request, a meeting's notes.

Seeds 000/001/004 and DOMAIN.md say what each letter must state; the templates say it in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from attendance.calendar import SchoolCalendar
from attendance.codes import CODES
from attendance.penalty import (
    EARLY_DAYS,
    FIRST_EARLY,
    FIRST_FULL,
    PAY_WITHIN_DAYS,
    SECOND_FLAT,
    PenaltyKind,
    PenaltyRecord,
    next_penalty,
)
from attendance.threshold import Mark, Session, ThresholdPolicy, window_on
from casework.errors import DISCUSSION, LEAVE_DATES, Refused
from casework.records import Entry, NoticeRecord

# Case-log entries that are support offered to the family (Norfolk: the notice "will clearly
# list the attempts which have been made and support which has already been offered").
SUPPORT_KINDS = ("support_offered", "meeting", "contract", "referral", "service")
_SUPPORT_LABELS = {
    "meeting": "Meeting",
    "contract": "Attendance contract meeting",
    "referral": "Referral to another service",
}
_SERVICE_NAMES = {
    "lets_talk": "Let's Talk: We Miss You",
    "early_help_drop_in": "Early Help drop-in",
    "taf": "Team Around the Family",
}
# A discussion whose notes go to the parents (seed 004: "send a copy of notes from all key
# discussions to parents").
DISCUSSION_KINDS = ("meeting", "contract", "contact")


@dataclass(frozen=True)
class SupportLine:
    on: date
    text: str


def support_lines(entries: Iterable[Entry], until: date) -> list[SupportLine]:
    """The support offered up to `until`, oldest first, as a letter lists it."""
    lines = []
    for e in entries:
        if e.kind not in SUPPORT_KINDS or e.on > until:
            continue
        label = _SUPPORT_LABELS.get(e.kind)
        if e.kind == "service":
            service = str(e.details.get("service", ""))
            used = "used" if e.details.get("used") else "not used"
            label = f"{_SERVICE_NAMES.get(service, service)} ({used})"
        lines.append(SupportLine(e.on, f"{label}: {e.summary}" if label else e.summary))
    return sorted(lines, key=lambda s: s.on)


def has_support(entries: Iterable[Entry]) -> bool:
    return any(e.kind in SUPPORT_KINDS for e in entries)


@dataclass(frozen=True)
class CountedSession:
    on: date
    session: str
    code: str


_SESSION_WORDS = {"AM": "morning", "PM": "afternoon"}


@dataclass(frozen=True)
class CountedDay:
    """One day's counted sessions as a letter lists them: "morning and afternoon: O (other
    unauthorised absence)"."""

    on: date
    sessions: tuple[CountedSession, ...]

    def describe(self) -> str:
        when = " and ".join(_SESSION_WORDS.get(s.session, s.session) for s in self.sessions)
        codes = dict.fromkeys(s.code for s in self.sessions)
        what = ", ".join(f"{c} ({CODES[c].meaning if c in CODES else c})" for c in codes)
        return f"{when}: {what}"


@dataclass(frozen=True)
class NoticeGrounds:
    """The absence a notice relies on: the day the threshold was met, the window's real length
    in school weeks and the sessions counted in it."""

    met_on: date
    window_start: date
    school_weeks: int
    sessions: tuple[CountedSession, ...]

    @property
    def days(self) -> list[CountedDay]:
        by_day: dict[date, list[CountedSession]] = {}
        for s in self.sessions:
            by_day.setdefault(s.on, []).append(s)
        return [CountedDay(d, tuple(by_day[d])) for d in sorted(by_day)]


def grounds_details(
    marks: Iterable[Mark], met_on: date, policy: ThresholdPolicy
) -> dict[str, object]:
    """What `nti issue` records of its grounds, so every later copy states the same ones."""
    window = window_on(marks, met_on, policy)
    return {
        "school_weeks": len(window.weeks),
        "counted_sessions": [
            {"date": m.day.isoformat(), "session": str(m.session), "code": m.code}
            for m in window.counted
        ],
    }


def issued_entry(entries: Iterable[Entry], notice_id: int) -> Entry | None:
    return next(
        (e for e in entries if e.kind == "nti_issued" and e.details.get("notice_id") == notice_id),
        None,
    )


def notice_grounds(
    notice: NoticeRecord, entries: Sequence[Entry], marks: Iterable[Mark], policy: ThresholdPolicy
) -> NoticeGrounds:
    met_on = notice.met_on or notice.issued_on
    entry = issued_entry(entries, notice.id)
    details: Mapping[str, Any] = (
        entry.details
        if entry and "counted_sessions" in entry.details
        # A notice issued before its grounds were recorded: read them from the registers.
        else grounds_details(marks, met_on, policy)
    )
    sessions = tuple(
        CountedSession(_day(s["date"]), str(s["session"]), str(s["code"]))
        for s in details["counted_sessions"]
    )
    return NoticeGrounds(met_on, notice.window_start, int(details["school_weeks"]), sessions)


def support_available(notice: NoticeRecord, entries: Sequence[Entry]) -> list[str]:
    """The support the officer said remains available when issuing the notice."""
    entry = issued_entry(entries, notice.id)
    return [str(s) for s in (entry.details.get("support_available", []) if entry else [])]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class PenaltyTerms:
    """The National Framework's amounts, and which notice a further one would be for this
    parent and child (1, 2, or 0 when a third within 3 years is not possible)."""

    first_early: int
    first_full: int
    second: int
    early_days: int
    full_days: int
    next_ordinal: int
    earlier: tuple[date, ...]


def penalty_terms(
    history: Iterable[PenaltyRecord], parent_id: str, upn: str, on: date
) -> PenaltyTerms:
    decision = next_penalty(history, parent_id, upn, on, PenaltyKind.ATTENDANCE)
    return PenaltyTerms(
        FIRST_EARLY,
        FIRST_FULL,
        SECOND_FLAT,
        EARLY_DAYS,
        PAY_WITHIN_DAYS,
        decision.ordinal,
        tuple(p.issued_on for p in decision.counted),
    )


@dataclass(frozen=True)
class LeaveDates:
    """A request for term-time leave: the days asked for and what they are in school time."""

    start: date
    end: date
    school_days: int
    sessions: int
    back_on: date  # the first school day after the leave

    @property
    def enough_for_a_penalty(self) -> bool:
        from attendance.threshold import HOLIDAY_SESSIONS

        return self.sessions >= HOLIDAY_SESSIONS


def leave_dates(calendar: SchoolCalendar, start: date | None, end: date | None) -> LeaveDates:
    if start is None or end is None:
        said = "a response to a leave request needs the leave dates"
        raise Refused(f"{said}: --from DATE --to DATE", LEAVE_DATES, said)
    if end < start:
        said = f"the last day of leave, {end}, is before the first, {start}"
        raise Refused(f"--to {end} is before --from {start}", LEAVE_DATES, said)
    days = calendar.school_days_between(start, end)
    if days == 0:
        raise Refused(f"{start} to {end} has no school days at this school: no leave is needed")
    return LeaveDates(start, end, days, days * len(Session), calendar.next_school_day(end))


def discussion(entries: Iterable[Entry], entry_id: int | None) -> Entry:
    """The case-log entry whose notes a letter sends: a meeting, contract meeting or contact."""
    if entry_id is None:
        said = "say which discussion's notes to send"
        raise Refused(f"{said}: --entry ID (case show lists them)", DISCUSSION, said)
    entry = next((e for e in entries if e.id == entry_id), None)
    if entry is None:
        raise Refused(f"entry {entry_id} is not in this pupil's case log")
    if entry.kind not in DISCUSSION_KINDS:
        raise Refused(
            f"entry {entry_id} is a {entry.kind}, not a discussion "
            f"({', '.join(DISCUSSION_KINDS)}): its notes cannot be sent as meeting notes"
        )
    return entry
