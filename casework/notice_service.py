"""Whether a Notice to Improve has been served on every parent, the period as served, and the
evidence read at its end (attendance/nti_outcome.py has the rules)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from attendance.authorities import AuthorityRules
from attendance.calendar import CalendarError, SchoolCalendar
from attendance.nti import ImprovementPeriod
from attendance.nti_outcome import EndOfPeriod, end_of_period, missing_registers, served_period
from attendance.service import UK
from casework.authorities import rules_for_pupil
from casework.events import Event, NtiNotServed
from casework.notice_changes import NoticeWrites
from casework.ports import UnitOfWork
from casework.pupil_facts import facts_of
from casework.records import OPEN_NOTICE, Delivery, DeliveryState, Entry, NoticeRecord

# A delivery that is evidence of receipt: the server accepted the email, or staff recorded
# posting or handing over the printed notice.
SERVED = frozenset({DeliveryState.SENT, DeliveryState.POSTED, DeliveryState.HAND_DELIVERED})
# Still unserved this many school days after issue: staff are told (once per notice).
NOT_SERVED_SCHOOL_DAYS = 3


def receipt(d: Delivery) -> date | None:
    """The day this parent is deemed to have received the notice, None when not evidenced."""
    return d.deemed_received_on if d.state in SERVED else None


async def unserved_parents(uow: UnitOfWork, notice_id: int) -> list[str]:
    return [d.parent_id for d in await uow.cases.deliveries(notice_id) if receipt(d) is None]


def planned(
    notice: NoticeRecord,
    deliveries: Sequence[Delivery],
    calendar: SchoolCalendar,
    rules: AuthorityRules,
) -> ImprovementPeriod | None:
    """The period as these deliveries evidence it (None while a parent is unserved)."""
    try:
        return _served(calendar, notice.issued_on, tuple(receipt(d) for d in deliveries), rules)
    except CalendarError:
        return None  # the calendar does not reach that far yet: re-planned once it does


# A county's notices share a few calendars, issue days and rules: each period is worked out
# once (the daily review re-plans every running notice).
_served = functools.lru_cache(maxsize=4096)(served_period)


async def _period(uow: UnitOfWork, notice: NoticeRecord) -> ImprovementPeriod | None:
    deliveries = await uow.cases.deliveries(notice.id)
    pupil = await uow.registry.pupil(notice.upn)
    calendar = await uow.registry.calendar(pupil.school_urn if pupil else "")
    return planned(notice, deliveries, calendar, await rules_for_pupil(uow, notice.upn))


async def replan(uow: UnitOfWork, notice: NoticeRecord, on: date, now: datetime) -> NoticeRecord:
    """Store the period as the deliveries now evidence it (None while a parent is unserved, or
    a bounce took service back); a change is written to the chronology."""
    writes = NoticeWrites(now)
    notice = record_period(writes, notice, await _period(uow, notice), on)
    await writes.write(uow)
    return notice


def record_period(
    writes: NoticeWrites, notice: NoticeRecord, period: ImprovementPeriod | None, on: date
) -> NoticeRecord:
    """Store `period` (from `planned`) as the notice's served period when it changed."""
    start, end = (period.start, period.end) if period else (None, None)
    if (start, end) == (notice.served_start, notice.served_end):
        return notice
    writes.served(notice.id, start, end)
    planned = f"planned {notice.period_start} to {notice.period_end}"
    if period is None:
        summary = f"Notice to Improve {notice.id} is no longer served on every parent ({planned})."
    else:
        summary = (
            f"Notice to Improve {notice.id} served on every parent: its improvement period "
            f"runs {start} to {end} ({planned})."
        )
    details = {
        "notice_id": notice.id,
        "planned_start": notice.period_start,
        "planned_end": notice.period_end,
        "served_start": start,
        "served_end": end,
    }
    writes.entry(notice.upn, on, "nti_period", summary, details)
    return replace(notice, served_start=start, served_end=end)


def not_served(
    writes: NoticeWrites,
    notice: NoticeRecord,
    on: date,
    calendar: SchoolCalendar,
    deliveries: Sequence[Delivery],
    alerted: Iterable[Entry],
) -> list[Event]:
    """NtiNotServed once (`alerted`: the pupil's nti_not_served entries), when a parent is
    still unserved 3 school days after issue."""
    if (
        calendar.school_days_between(notice.issued_on, on)
        - calendar.is_school_day(notice.issued_on)
        < NOT_SERVED_SCHOOL_DAYS
    ):
        return []
    if any(e.details.get("notice_id") == notice.id for e in alerted):
        return []
    parents = tuple(d.parent_id for d in deliveries if receipt(d) is None)
    event = NtiNotServed(notice.upn, on, notice.id, notice.issued_on, parents)
    writes.entry(
        notice.upn,
        on,
        "nti_not_served",
        f"Notice to Improve {notice.id}, issued {notice.issued_on}, is not yet served on "
        f"parent {', '.join(parents)}: its improvement period cannot start until it is. "
        "Post or hand it over and record it (letter delivered).",
        event.payload(),
    )
    return [event]


async def end_of_period_for(
    uow: UnitOfWork, notice: NoticeRecord, period: ImprovementPeriod, further: int
) -> EndOfPeriod:
    """What the evidence says at the end: registers, unresolved N, non-engagement."""
    pupil = await uow.registry.pupil(notice.upn)
    calendar = await uow.registry.calendar(pupil.school_urn if pupil else "")
    marks = await uow.marks.for_pupil(notice.upn)
    not_engaged = [
        e.on
        for e in await uow.cases.entries(notice.upn)
        if e.kind == "engagement" and e.details.get("engaged") is False
    ]
    missing = missing_registers(calendar, period, marks)
    return end_of_period(period, notice.max_further_sessions, further, missing, marks, not_engaged)


async def replan_sent(uow: UnitOfWork, sent: Iterable[tuple[int, datetime]]) -> None:
    """After a batch of notice emails was accepted (each delivery already marked sent), with
    when: each open notice re-planned once from its deliveries, at its last acceptance, what
    the periods need read for all of them at once (as the daily review does), not a dozen
    statements per email on the sender's recording path."""
    latest: dict[int, datetime] = {}
    for notice_id, at in sent:
        latest[notice_id] = max(at, latest.get(notice_id, at))
    notices = [n for n in await uow.cases.notices_by_id(latest) if n.status in OPEN_NOTICE]
    if not notices:
        return
    facts = await facts_of(uow, {n.upn for n in notices})
    deliveries = await uow.cases.deliveries_of(n.id for n in notices)
    for n in notices:
        at = latest[n.id]
        period = planned(n, deliveries.get(n.id, []), facts.calendar(n.upn), facts.rules(n.upn))
        writes = NoticeWrites(at)  # each recorded at its own acceptance
        record_period(writes, n, period, at.astimezone(UK).date())
        await writes.write(uow)


async def replan_on_delivery(
    uow: UnitOfWork, notice_id: int, on: date, now: datetime
) -> str | None:
    """After a printed notice is delivered: re-plan its period; a warning when it no longer
    runs as planned (delivered on or after the planned start, or later than issue)."""
    notice = await uow.cases.notice(notice_id)
    if notice is None or notice.status not in OPEN_NOTICE:
        return None
    notice = await replan(uow, notice, on, now)
    planned = (notice.period_start, notice.period_end)
    if notice.served_start is None:
        if on < notice.period_start:
            return None
        waiting = ", ".join(await unserved_parents(uow, notice_id))
        return (
            f"Notice to Improve {notice_id}'s planned period started on {notice.period_start}; "
            f"it cannot start until parent {waiting} is served too"
        )
    if (notice.served_start, notice.served_end) == planned and on < notice.period_start:
        return None
    return (
        f"Notice to Improve {notice_id} was planned to run {planned[0]} to {planned[1]}; "
        f"served on every parent, it now runs {notice.served_start} to {notice.served_end}"
    )
