"""Issuing a Notice to Improve: only when the law allows it, one delivery per parent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from attendance.authorities import AuthorityRules
from attendance.calendar import CalendarError
from attendance.nti import NoticePlan, NtiRefused, plan_notice
from attendance.nti_grounds import grounds
from casework.compulsory import require_compulsory_school_age
from casework.errors import Refused
from casework.events import NtiIssued
from casework.letter_facts import grounds_details, has_support
from casework.letters import letter_contact
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.records import (
    Delivery,
    DeliveryState,
    NoticeRecord,
    NoticeStatus,
    ParentRow,
    PupilRow,
    Route,
)
from casework.registers import require_registers_agree, require_registers_complete
from casework.sending import Mailroom, ParentRoute, queue_for_parents
from casework.thresholds import rules_for_pupil


@dataclass(frozen=True)
class IssuedNotice:
    notice_id: int
    upn: str
    period_start: date
    period_end: date
    unauthorised_sessions: int
    window_start: date
    deliveries: list[ParentRoute]
    warnings: tuple[str, ...]


async def issue_nti(
    uow: UnitOfWork,
    mailroom: Mailroom,
    upn: str,
    by: str,
    improvement: str,
    on: date,
    max_further_sessions: int,
    now: datetime,
    available: Sequence[str] = (),
) -> IssuedNotice:
    """`available`: the support that remains open to the family during the notice, as the
    officer chose it for this case (the notice lists it beside the support already offered)."""
    if not improvement.strip():
        raise Refused("say what sufficient improvement means for this family (--improvement)")
    available = [a.strip() for a in available if a.strip()]
    async with uow:
        await require_registers_agree(uow, upn)
        pupil = await known_pupil(uow, upn)
        staff = await letter_contact(uow, by, pupil.school_urn)
        by = staff.actor
        require_compulsory_school_age(pupil, on)
        await _refuse_a_second_notice(uow, upn, on)
        parents = await _parents_to_serve(uow, upn)
        rules = await rules_for_pupil(uow, upn)
        plan = await _plan(uow, pupil, rules, parents, on, max_further_sessions)
        window_start = plan.trigger.window_start
        assert window_start is not None  # plan_notice refuses a notice with no window
        # A week of term without registers would have let the window reach back over it.
        await require_registers_complete(uow, upn, window_start, on)
        record = _notice(upn, rules.name, on, by, improvement.strip(), plan, window_start)
        warnings = plan.warnings + await _support_warnings(uow, upn, available)
        notice_id = await uow.cases.add_notice(record, [])
        event = NtiIssued(upn, on, notice_id, plan.period.end)
        details = {
            **event.payload(),
            "improvement": improvement.strip(),
            "max_further_sessions": max_further_sessions,
            "parents": [p.parent_id for p in parents],
            "warnings": list(warnings),
            **await _as_stated(uow, upn, plan, rules, available),
        }
        await uow.cases.add_entry(
            upn, on, "nti_issued", by, _summary(notice_id, rules.name, plan), details, now
        )
        # The notice goes to each parent separately: email where that parent consented.
        routes = await queue_for_parents(
            uow, mailroom, "nti", pupil, parents, staff, on, now, notice_id=notice_id
        )
        await uow.cases.add_deliveries(notice_id, _deliveries(routes))
        await uow.audit.append(by, "nti.issued", f"pupil:{upn}", details, now)
        await uow.outbox.add(event, now)
        await uow.commit()
    trigger = plan.trigger
    period = (plan.period.start, plan.period.end)
    return IssuedNotice(
        notice_id, upn, *period, trigger.unauthorised_sessions, window_start, routes, warnings
    )


async def _as_stated(
    uow: UnitOfWork, upn: str, plan: NoticePlan, rules: AuthorityRules, available: list[str]
) -> dict[str, Any]:
    """What the letter states, kept as issued: later corrections do not rewrite it."""
    marks = await uow.marks.for_pupil(upn)
    return {
        **grounds_details(marks, plan.trigger.window_end, rules.policy),
        "support_available": available,
    }


# How the command line is told to give what a warning asks for; a chat surface says it its own way
# (bot.commands.letters.chat_warning).
LOG_SUPPORT = "case log --kind support_offered"
NAME_AVAILABLE = "--available"


async def _support_warnings(uow: UnitOfWork, upn: str, available: list[str]) -> tuple[str, ...]:
    """A notice is for support not engaged with or that did not work (seeds 000, 001): say so
    when the case log shows none, or none is named as still available."""
    warnings = []
    if not has_support(await uow.cases.entries(upn)):
        warnings.append(
            f"no support has been logged for {upn}: a Notice to Improve is for support that was "
            f"not engaged with or did not work; log what was offered ({LOG_SUPPORT}) so that "
            "the notice and the referral can show it"
        )
    if not available:
        warnings.append(
            f"no support was named as still available ({NAME_AVAILABLE}): the notice offers the "
            "support already given again and asks the parent to contact the school"
        )
    return tuple(warnings)


async def _refuse_a_second_notice(uow: UnitOfWork, upn: str, on: date) -> None:
    # An open notice not yet served has not started: it blocks another (withdraw it instead).
    running = [
        n
        for n in await uow.cases.notices(upn, open_only=True)
        if n.served_end is None or n.served_end >= on
    ]
    if running:
        first = running[0]
        until = f"until {first.served_end}" if first.served_end else "(not yet served)"
        raise Refused(f"Notice to Improve {first.id} is already running for {upn} {until}")


async def _parents_to_serve(uow: UnitOfWork, upn: str) -> list[ParentRow]:
    parents = await uow.registry.parents_of(upn)
    if not parents:
        raise Refused(
            f"no parents on record for {upn}: a notice goes to each parent; "
            "import the parents file first"
        )
    return parents


async def _plan(
    uow: UnitOfWork,
    pupil: PupilRow,
    rules: AuthorityRules,
    parents: list[ParentRow],
    on: date,
    max_further_sessions: int,
) -> NoticePlan:
    """The notice the law allows today (attendance.nti), or Refused saying why not."""
    calendar = await uow.registry.calendar(pupil.school_urn)
    failed = await uow.cases.parents_with_failed_nti(p.parent_id for p in parents)
    marks = await uow.marks.for_pupil(pupil.upn)
    # Met on the issue date, or on a school day of the previous 10 school weeks (DfE).
    met_on = grounds(marks, on, calendar, rules.policy).window_end
    try:
        plan = plan_notice(marks, on, calendar, rules, max_further_sessions, sorted(failed), met_on)
    except NtiRefused as e:
        raise Refused(f"a Notice to Improve cannot be issued: {e}") from None
    except CalendarError as e:
        raise Refused(f"school {pupil.school_urn}'s calendar: {e}") from None
    return plan


def _notice(
    upn: str,
    authority: str,
    on: date,
    by: str,
    improvement: str,
    plan: NoticePlan,
    window_start: date,
) -> NoticeRecord:
    return NoticeRecord(
        0,
        upn,
        authority,
        on,
        by,
        improvement,
        plan.max_further_sessions,
        plan.trigger.unauthorised_sessions,
        window_start,
        plan.period.start,
        plan.period.end,
        NoticeStatus.IN_PROGRESS,
        met_on=plan.trigger.window_end,
    )


def _summary(notice_id: int, authority: str, plan: NoticePlan) -> str:
    return (
        f"Notice to Improve {notice_id} issued ({authority}): improvement period "
        f"{plan.period.start} to {plan.period.end}."
    )


def _deliveries(routes: list[ParentRoute]) -> list[Delivery]:
    """One delivery per parent: queued for email, or awaiting the post."""
    return [
        Delivery(
            r.parent_id,
            Route(r.route),
            DeliveryState.QUEUED if r.route == Route.EMAIL else DeliveryState.AWAITING_POST,
            r.message_id,
        )
        for r in routes
    ]
