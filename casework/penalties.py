"""Penalty notices: whether there are grounds, and what the National Framework allows next."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from attendance.age import compulsory_school_age
from attendance.penalty import (
    PenaltyDecision,
    PenaltyKind,
    PenaltyRecord,
    PenaltyState,
    next_penalty,
    state_change_refusal,
)
from attendance.penalty_grounds import PenaltyCase, refusals
from attendance.prosecution import LIMIT_MONTHS, add_months
from attendance.registers import weeks_of
from casework.errors import NotFound, Refused
from casework.escalation import require_parents_told
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.registers import registers_missing, require_registers_agree
from casework.thresholds import rules_for_pupil

AGREED = "penalty_agreed"


async def _agreed_on(uow: UnitOfWork, parent_id: str, upn: str, on: date) -> date | None:
    """The LA's latest agreement on or before `on` for this parent and child; else the
    earliest later one (to say it came too late); None when none is recorded."""
    days = sorted(
        e.on
        for e in await uow.cases.entries(upn)
        if e.kind == AGREED and e.details.get("parent_id") == parent_id
    )
    before = [d for d in days if d <= on]
    return before[-1] if before else (days[0] if days else None)


async def _decide(
    uow: UnitOfWork,
    parent_id: str,
    upn: str,
    on: date,
    kind: PenaltyKind,
    offence_start: date | None,
) -> PenaltyDecision:
    if await uow.registry.parent(parent_id) is None:
        raise NotFound(f"no parent with id {parent_id}")
    pupil = await known_pupil(uow, upn)
    if all(p.parent_id != parent_id for p in await uow.registry.parents_of(upn)):
        raise Refused(f"parent {parent_id} is not recorded as a parent of {upn}")
    case = PenaltyCase(
        on=on,
        offence_start=offence_start,
        marks=tuple(await uow.marks.for_pupil(upn)),
        codes=(await rules_for_pupil(uow, upn)).threshold_codes,
        age=compulsory_school_age(pupil.date_of_birth),
        la_agreed_on=await _agreed_on(uow, parent_id, upn, on),
        needs_threshold=kind is PenaltyKind.ATTENDANCE,
    )
    history = await uow.cases.penalties(parent_id, upn)
    limits = next_penalty(history, parent_id, upn, on, kind, offence_start)
    reasons = refusals(case) + (() if limits.allowed else (limits.reason,))
    if case.needs_threshold:
        reasons += await _registers_missing(uow, upn, offence_start, on)
    if not reasons:
        return replace(limits, reasons=())
    return replace(limits, allowed=False, reason="; ".join(reasons), reasons=reasons)


async def _registers_missing(
    uow: UnitOfWork, upn: str, offence_start: date | None, on: date
) -> tuple[str, ...]:
    """The offence period's registers must be complete: a missing week would let the
    threshold's window reach back over it (attendance/registers.py)."""
    start = offence_start or add_months(on, -LIMIT_MONTHS)
    weeks = (await registers_missing(uow, {upn: start}, on)).get(upn)
    if not weeks:
        return ()
    return (
        f"registers missing for {len(weeks)} week{'s' if len(weeks) > 1 else ''} of term in "
        f"the offence period: import the registers for the weeks of {weeks_of(weeks)} first",
    )


async def check_penalty(
    uow: UnitOfWork,
    parent_id: str,
    upn: str,
    on: date,
    kind: PenaltyKind = PenaltyKind.ATTENDANCE,
    offence_start: date | None = None,
) -> PenaltyDecision:
    async with uow:
        return await _decide(uow, parent_id, upn, on, kind, offence_start)


async def agree_penalty(
    uow: UnitOfWork, parent_id: str, upn: str, on: date, by: str, reference: str, now: datetime
) -> None:
    """Record the LA's agreement to a penalty notice for this parent and child (seed 004: it
    must agree before any notice is issued)."""
    async with uow:
        if await uow.registry.parent(parent_id) is None:
            raise NotFound(f"no parent with id {parent_id}")
        await known_pupil(uow, upn)
        if not reference.strip():
            raise Refused("say how the LA agreed (--reference: its email, letter or case number)")
        details = {"parent_id": parent_id, "reference": reference.strip()}
        summary = f"The local authority agreed to a penalty notice to parent {parent_id}"
        await uow.cases.add_entry(
            upn, on, AGREED, by, f"{summary} ({reference.strip()}).", details, now
        )
        await uow.audit.append(by, "penalty.agreed", f"pupil:{upn}", details, now)
        await uow.commit()


async def record_penalty(
    uow: UnitOfWork,
    parent_id: str,
    upn: str,
    on: date,
    offence_start: date,
    by: str,
    now: datetime,
    kind: PenaltyKind = PenaltyKind.ATTENDANCE,
    parents_not_told: str | None = None,
) -> PenaltyDecision:
    """Record a penalty notice the LA issued; refused where the framework does not allow one,
    or during an improvement period before the parents were told (casework/escalation.py)."""
    async with uow:
        await require_registers_agree(uow, upn)
        decision = await _decide(uow, parent_id, upn, on, kind, offence_start)
        if not decision.allowed:
            raise Refused(decision.reason)
        untold = await require_parents_told(uow, upn, on, "a penalty notice", parents_not_told)
        penalty_id = await uow.cases.add_penalty(
            PenaltyRecord(parent_id, upn, kind, on, offence_start)
        )
        details = {
            "penalty_id": penalty_id,
            "parent_id": parent_id,
            "kind": str(kind),
            "ordinal": decision.ordinal,
            "amount": decision.amount,
            "amount_if_paid_early": decision.amount_if_paid_early,
            "offence_start": offence_start.isoformat(),
            **(untold.details() if untold else {}),
        }
        await uow.cases.add_entry(
            upn,
            on,
            "penalty_notice",
            by,
            f"Penalty notice {decision.ordinal} ({kind}) to parent {parent_id}: "
            f"£{decision.amount_if_paid_early or decision.amount} / £{decision.amount}.",
            details,
            now,
        )
        await uow.audit.append(by, "penalty.recorded", f"pupil:{upn}", details, now)
        await uow.commit()
    return decision


async def penalties_for(uow: UnitOfWork, upn: str) -> list[PenaltyRecord]:
    async with uow:
        await known_pupil(uow, upn)
        return await uow.cases.penalties_for(upn)


async def change_penalty_state(
    uow: UnitOfWork,
    upn: str,
    penalty_id: int,
    state: PenaltyState,
    on: date,
    by: str,
    reason: str,
    now: datetime,
) -> PenaltyRecord:
    """Record what became of a notice: paid, withdrawn, unpaid, then prosecution considered."""
    if not reason.strip():
        raise Refused("say why (--reason): the payment, the LA's decision or its letter")
    async with uow:
        found = [p for p in await uow.cases.penalties_for(upn) if p.id == penalty_id]
        if not found:
            raise NotFound(f"no penalty notice {penalty_id} for {upn}")
        refusal = state_change_refusal(found[0].state, state)
        if refusal is not None:
            raise Refused(refusal)
        await uow.cases.penalty_state_changed(penalty_id, state)
        details = {"penalty_id": penalty_id, "from": str(found[0].state), "to": str(state)}
        details["reason"] = reason.strip()
        text = f"Penalty notice {penalty_id} to parent {found[0].parent_id}: {state}"
        await uow.cases.add_entry(
            upn, on, "penalty_state", by, f"{text} ({reason.strip()}).", details, now
        )
        await uow.audit.append(by, "penalty.state", f"pupil:{upn}", details, now)
        await uow.commit()
    return replace(found[0], state=state, withdrawn=state is PenaltyState.WITHDRAWN)
