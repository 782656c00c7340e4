"""The daily review of Notices to Improve (called by casework.thresholds.daily_review): a
notice runs only once every parent is served (the period is re-planned from the last deemed
receipt); breaches; what the evidence says at the period's end; a later correction that
reopens an ended period; the prosecution time limit for notices that failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from attendance.calendar import SchoolCalendar
from attendance.nti import ImprovementPeriod, Outcome, review
from attendance.nti_outcome import EndOfPeriod, Finding, end_of_period, missing_registers
from attendance.prosecution import (
    may_be_near,
    prosecution_deadline,
    time_limit_near,
)
from attendance.threshold import Mark
from casework.events import Event, NtiBreached, NtiEnded, NtiReopened, TimeLimitNear
from casework.notice_changes import NoticeWrites
from casework.notice_service import not_served, planned, record_period
from casework.ports import UnitOfWork
from casework.pupil_facts import PupilFacts, counted, facts_of, first_offences
from casework.records import OPEN_NOTICE, Delivery, Entry, NoticeRecord, NoticeStatus

SYSTEM = "supportfirst"
ENDED = frozenset({NoticeStatus.IMPROVED, NoticeStatus.NOT_IMPROVED, NoticeStatus.UNDECIDED})
# Notices whose prosecution time limit is watched until staff decide on legal intervention.
FAILED = frozenset({NoticeStatus.BREACHED, NoticeStatus.NOT_IMPROVED})
ENDED_TEXT = {
    Finding.IMPROVED: "improved on the evidence: close the notice (nti close)",
    Finding.NOT_IMPROVED: "not improved: refer to the local authority",
    Finding.UNDECIDED: "undecided: the evidence cannot show improvement",
}


async def review_notices(uow: UnitOfWork, on: date, now: datetime) -> list[Event]:
    """Every notice issued by `on`: open ones day by day, ended ones for a correction. What
    they need is read for all of them at once (a county has thousands running)."""
    notices = [n for n in await uow.cases.notices() if n.issued_on <= on]
    running = [n for n in notices if n.status in OPEN_NOTICE]
    ended = [n for n in notices if n.status in ENDED and n.served_start and n.served_end]
    facts = await facts_of(uow, {n.upn for n in running + ended})
    deliveries = await uow.cases.deliveries_of(n.id for n in running)
    alerted = await uow.cases.entries_of_kinds({n.upn for n in running}, ["nti_not_served"])
    # Counted sessions since the oldest running notice was issued, and over the ended periods.
    since = await _sessions(
        uow, running, min((n.issued_on for n in running), default=on), on, facts
    )
    within = await _sessions(
        uow,
        ended,
        min((n.served_start for n in ended if n.served_start), default=on),
        max((n.served_end for n in ended if n.served_end), default=on),
        facts,
    )
    ending = await _ending(uow, running, deliveries, facts, on)
    writes = NoticeWrites(now)  # the day's changes and entries, in order, written at the end
    events: list[Event] = []
    for notice in sorted(running + ended, key=lambda n: n.id):
        if notice.status in ENDED:
            events += _review_correction(writes, notice, on, within)
            continue
        period = planned(
            notice,
            deliveries.get(notice.id, []),
            facts.calendar(notice.upn),
            facts.rules(notice.upn),
        )
        notice = record_period(writes, notice, period, on)
        if notice.served_start is None or notice.served_end is None:
            # Not served on every parent: no breach or outcome can run against them.
            events += not_served(
                writes,
                notice,
                on,
                facts.calendar(notice.upn),
                deliveries.get(notice.id, []),
                alerted.get(notice.upn, []),
            )
        else:
            events += review_notice(writes, notice, on, since, ending)
    await writes.write(uow)
    return events


async def _sessions(
    uow: UnitOfWork, notices: list[NoticeRecord], start: date, end: date, facts: PupilFacts
) -> dict[str, set[tuple[date, str]]]:
    """Each pupil's sessions with their LA's threshold codes in [start, end]."""
    by_codes: dict[frozenset[str], set[str]] = {}
    for n in notices:
        by_codes.setdefault(facts.rules(n.upn).threshold_codes, set()).add(n.upn)
    found: dict[str, set[tuple[date, str]]] = {}
    for codes, upns in by_codes.items():
        found |= await uow.marks.sessions_with_codes(upns, start, end, codes)
    return found


@dataclass(frozen=True)
class Ending:
    """What the evidence at the end of a period needs (notice_service.end_of_period_for), read
    at once for the notices whose period is over on the day reviewed."""

    calendars: dict[str, SchoolCalendar]
    marks: dict[str, list[Mark]]  # the sessions that stand, over every ending period
    not_engaged: dict[str, list[date]]

    def end(self, notice: NoticeRecord, period: ImprovementPeriod, further: int) -> EndOfPeriod:
        calendar, marks = self.calendars[notice.upn], self.marks.get(notice.upn, [])
        missing = missing_registers(calendar, period, marks)
        return end_of_period(
            period,
            notice.max_further_sessions,
            further,
            missing,
            marks,
            self.not_engaged.get(notice.upn, []),
        )


async def _ending(
    uow: UnitOfWork,
    running: list[NoticeRecord],
    deliveries: dict[int, list[Delivery]],
    facts: PupilFacts,
    on: date,
) -> Ending:
    """The notices whose period, as their deliveries evidence it, is over on `on`."""
    periods = {}
    for n in running:
        period = planned(n, deliveries.get(n.id, []), facts.calendar(n.upn), facts.rules(n.upn))
        if period is not None and on > period.end:
            periods[n.upn] = period
    if not periods:
        return Ending({}, {}, {})
    marks = await uow.marks.for_pupils(
        periods, min(p.start for p in periods.values()), max(p.end for p in periods.values())
    )
    entries = await uow.cases.entries_of_kinds(periods, ["engagement"])
    not_engaged = {
        upn: [e.on for e in found if e.details.get("engaged") is False]
        for upn, found in entries.items()
    }
    return Ending({u: facts.calendar(u) for u in periods}, marks, not_engaged)


def review_notice(
    writes: NoticeWrites,
    notice: NoticeRecord,
    on: date,
    sessions: dict[str, set[tuple[date, str]]],
    ending: Ending,
) -> list[Event]:
    """A served notice: breached, or at its end, on the counted marks since it was issued."""
    assert notice.served_start is not None and notice.served_end is not None
    period = ImprovementPeriod(notice.served_start, notice.served_end)
    further = counted(sessions.get(notice.upn, ()), period.start, min(on, period.end))
    outcome = review(period, notice.max_further_sessions, further, on)
    events: list[Event] = []
    if outcome in (Outcome.BREACHED, Outcome.NOT_IMPROVED) and notice.breached_on is None:
        writes.breached(notice.id, on)
        breach = NtiBreached(notice.upn, on, notice.id, further, notice.max_further_sessions)
        writes.entry(
            notice.upn,
            on,
            "nti_breached",
            f"Notice to Improve {notice.id}: {further} further unauthorised sessions since "
            f"{period.start} (sufficient improvement allows {notice.max_further_sessions}). "
            "Tell the parents before requesting legal intervention.",
            breach.payload(),
        )
        events.append(breach)
    if outcome in (Outcome.IMPROVED, Outcome.NOT_IMPROVED):
        end = ending.end(notice, period, further)
        events.append(_ended(writes, notice, period, end, on))
    return events


def _ended(
    writes: NoticeWrites,
    notice: NoticeRecord,
    period: ImprovementPeriod,
    end: EndOfPeriod,
    on: date,
) -> NtiEnded:
    writes.ended(notice.id, NoticeStatus(end.finding), on, end.further)
    ended = NtiEnded(notice.upn, on, notice.id, str(end.finding), end.further, reasons=end.reasons)
    why = f" ({'; '.join(end.reasons)})" if end.reasons else ""
    writes.entry(
        notice.upn,
        on,
        "nti_ended",
        f"Notice to Improve {notice.id} ended on {period.end}, {ENDED_TEXT[end.finding]}{why}. "
        "Staff record the decision (nti close).",
        ended.payload(),
    )
    return ended


def _review_correction(
    writes: NoticeWrites,
    notice: NoticeRecord,
    on: date,
    sessions: dict[str, set[tuple[date, str]]],
) -> list[Event]:
    """An ended period whose count a correction has since raised is open again."""
    if notice.served_start is None or notice.served_end is None or notice.further_at_end is None:
        return []
    further = counted(sessions.get(notice.upn, ()), notice.served_start, notice.served_end)
    if further <= notice.further_at_end:
        return []
    breached = further > notice.max_further_sessions
    status = NoticeStatus.BREACHED if breached else NoticeStatus.IN_PROGRESS
    writes.reopened(notice.id, status)
    event = NtiReopened(notice.upn, on, notice.id, notice.further_at_end, further, str(status))
    decided = (
        f"; the decision recorded by {notice.decided_by} ({notice.status}) no longer stands"
        if notice.decided_by
        else ""
    )
    writes.entry(
        notice.upn,
        on,
        "nti_reopened",
        f"Notice to Improve {notice.id} reopened: a correction to the registers puts "
        f"{further} further unauthorised sessions in its period {notice.served_start} to "
        f"{notice.served_end} (it ended with {notice.further_at_end}){decided}.",
        event.payload(),
    )
    return [event]


async def review_time_limits(uow: UnitOfWork, on: date, now: datetime) -> list[Event]:
    """Notices that breached or ended without improvement and have no decision on legal
    intervention yet: alert once when the prosecution time limit is near."""
    due = [
        n
        for n in await uow.cases.notices(statuses=FAILED)
        if n.issued_on <= on
        and may_be_near(n.served_start or n.period_start, n.served_end or n.period_end, on)
    ]
    entries = await uow.cases.entries_of_kinds(
        {n.upn for n in due}, ["time_limit_near", "decision"]
    )
    due = [n for n in due if not _alerted_or_decided(n, entries.get(n.upn, []))]
    spans = [(n.upn, n.served_start or n.period_start, n.served_end or n.period_end) for n in due]
    offences = await first_offences(uow, spans)
    events: list[Event] = []
    for notice, span in zip(due, spans, strict=True):
        offence = offences[span]
        if offence is None or not time_limit_near(offence, on):
            continue
        event = TimeLimitNear(notice.upn, on, notice.id, offence, prosecution_deadline(offence))
        await uow.cases.add_entry(
            notice.upn,
            on,
            "time_limit_near",
            SYSTEM,
            f"Notice to Improve {notice.id}: a prosecution for the absence on {offence} must be "
            f"laid by {prosecution_deadline(offence)}. Refer to the local authority now, or "
            "record the decision not to.",
            event.payload(),
            now,
        )
        events.append(event)
    return events


def _alerted_or_decided(notice: NoticeRecord, entries: list[Entry]) -> bool:
    return any(
        (e.kind == "time_limit_near" and e.details.get("notice_id") == notice.id)
        or (
            e.kind == "decision"
            and e.details.get("about") == "legal_intervention"
            and e.on >= notice.issued_on
        )
        for e in entries
    )
