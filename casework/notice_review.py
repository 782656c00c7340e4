"""The daily review of Notices to Improve: breaches and ends of improvement periods, and the
prosecution time limit for notices that failed (called by casework.thresholds.daily_review)."""

from __future__ import annotations

from datetime import date, datetime

from attendance.nti import ImprovementPeriod, Outcome, review
from attendance.prosecution import first_offence, prosecution_deadline, time_limit_near
from casework.authorities import rules_for_pupil
from casework.events import Event, NtiBreached, NtiEnded, TimeLimitNear
from casework.ports import UnitOfWork
from casework.records import NoticeRecord, NoticeStatus

SYSTEM = "supportfirst"


async def review_notice(
    uow: UnitOfWork, notice: NoticeRecord, on: date, now: datetime
) -> list[Event]:
    rules = await rules_for_pupil(uow, notice.upn)
    period = ImprovementPeriod(notice.period_start, notice.period_end)
    further = await uow.marks.count_codes(
        notice.upn, period.start, min(on, period.end), rules.threshold_codes
    )
    outcome = review(period, notice.max_further_sessions, further, on)
    events: list[Event] = []
    if outcome in (Outcome.BREACHED, Outcome.NOT_IMPROVED) and notice.breached_on is None:
        await uow.cases.notice_breached(notice.id, on)
        breach = NtiBreached(notice.upn, on, notice.id, further, notice.max_further_sessions)
        await uow.cases.add_entry(
            notice.upn,
            on,
            "nti_breached",
            SYSTEM,
            f"Notice to Improve {notice.id}: {further} further unauthorised sessions since "
            f"{period.start} (sufficient improvement allows {notice.max_further_sessions}). "
            "Tell the parents before requesting legal intervention.",
            breach.payload(),
            now,
        )
        events.append(breach)
    if outcome in (Outcome.IMPROVED, Outcome.NOT_IMPROVED):
        await uow.cases.notice_ended(notice.id, NoticeStatus(outcome), on)
        ended = NtiEnded(notice.upn, on, notice.id, str(outcome), further)
        text = (
            "improved: close the notice"
            if outcome is Outcome.IMPROVED
            else "not improved: refer to the local authority"
        )
        await uow.cases.add_entry(
            notice.upn,
            on,
            "nti_ended",
            SYSTEM,
            f"Notice to Improve {notice.id} ended on {period.end}, {text}.",
            ended.payload(),
            now,
        )
        events.append(ended)
    return events


async def review_time_limits(uow: UnitOfWork, on: date, now: datetime) -> list[Event]:
    """Notices that breached or ended without improvement and have no decision on legal
    intervention yet: alert once when the prosecution time limit is near."""
    events: list[Event] = []
    for notice in await uow.cases.notices():
        if notice.status not in ("breached", "not_improved") or notice.issued_on > on:
            continue
        entries = await uow.cases.entries(notice.upn)
        if any(
            (e.kind == "time_limit_near" and e.details.get("notice_id") == notice.id)
            or (
                e.kind == "decision"
                and e.details.get("about") == "legal_intervention"
                and e.on >= notice.issued_on
            )
            for e in entries
        ):
            continue
        rules = await rules_for_pupil(uow, notice.upn)
        offence = first_offence(
            await uow.marks.for_pupil(notice.upn),
            notice.period_start,
            notice.period_end,
            rules.threshold_codes,
        )
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
