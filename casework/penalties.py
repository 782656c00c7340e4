"""Penalty notices: what the National Framework allows next for a parent and child."""

from __future__ import annotations

from datetime import date, datetime

from attendance.penalty import PenaltyDecision, PenaltyKind, PenaltyRecord, next_penalty
from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.registers import require_registers_agree


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
    await known_pupil(uow, upn)
    if all(p.parent_id != parent_id for p in await uow.registry.parents_of(upn)):
        raise Refused(f"parent {parent_id} is not recorded as a parent of {upn}")
    history = await uow.cases.penalties(parent_id, upn)
    return next_penalty(history, parent_id, upn, on, kind, offence_start)


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


async def record_penalty(
    uow: UnitOfWork,
    parent_id: str,
    upn: str,
    on: date,
    offence_start: date,
    by: str,
    now: datetime,
    kind: PenaltyKind = PenaltyKind.ATTENDANCE,
) -> PenaltyDecision:
    """Record a penalty notice the LA issued; refused where the framework does not allow one."""
    async with uow:
        await require_registers_agree(uow, upn)
        decision = await _decide(uow, parent_id, upn, on, kind, offence_start)
        if not decision.allowed:
            raise Refused(decision.reason)
        await uow.cases.add_penalty(PenaltyRecord(parent_id, upn, kind, on, offence_start))
        details = {
            "parent_id": parent_id,
            "kind": str(kind),
            "ordinal": decision.ordinal,
            "amount": decision.amount,
            "amount_if_paid_early": decision.amount_if_paid_early,
            "offence_start": offence_start.isoformat(),
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
