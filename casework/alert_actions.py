"""What staff do with an alert: acknowledge it, and record the decision taken with its reason.
Both land in the pupil's chronology (and the audit log)."""

from __future__ import annotations

from datetime import date, datetime

from casework.caselog import LogRequest, log_entry
from casework.errors import NotFound
from casework.ports import UnitOfWork


async def acknowledge_alert(
    uow: UnitOfWork, event_id: str, upn: str, by: str, on: date, now: datetime
) -> None:
    async with uow:
        if await uow.registry.pupil(upn) is None:
            raise NotFound(f"no pupil with UPN {upn}")
        details = {"event_id": event_id}
        member = await uow.chat.staff(by)
        who = member.name if member else by
        await uow.cases.add_entry(
            upn, on, "alert_acknowledged", by, f"{who} acknowledged the alert.", details, now
        )
        await uow.audit.append(by, "alert.acknowledged", f"pupil:{upn}", details, now)
        await uow.commit()


async def record_decision(
    uow: UnitOfWork,
    event_id: str,
    upn: str,
    about: str,
    decision: str,
    reason: str,
    by: str,
    on: date,
    now: datetime,
) -> int:
    request = LogRequest(upn, "decision", by, on, decision, reason=reason, about=about)
    return await log_entry(uow, request, now)
