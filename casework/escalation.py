"""Early escalation tells the parents first (seeds 000, 002; DOMAIN.md "What makes a case fail").

During a Notice to Improve's improvement period the school may ask for legal intervention
before the period ends, but must tell the parents first: the `intend_legal_intervention`
letter, served on each parent. Until it is, a decision on legal intervention, a move to the
referral stage and a penalty notice are refused, unless staff say why the parents were not told
(`--parents-not-told`); that reason is kept with the act and shown as a gap in the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from casework.errors import Refused
from casework.records import OPEN_NOTICE, EmailState, Entry, NoticeRecord

if TYPE_CHECKING:  # annotations only: `--help` lists this module's names without the ports
    from casework.ports import UnitOfWork

INTEND = "intend_legal_intervention"
# The key an act's case-log details carry when it went ahead without the parents told.
NOT_TOLD = "parents_not_told"


@dataclass(frozen=True)
class Untold:
    """An early escalation made without the intend letter served on every parent."""

    notice_id: int
    parents: tuple[str, ...]
    reason: str

    def details(self) -> dict[str, Any]:
        return {
            NOT_TOLD: self.reason,
            "untold_parents": list(self.parents),
            "untold_notice": self.notice_id,
        }


def running_notice(notices: list[NoticeRecord], on: date) -> NoticeRecord | None:
    """The notice whose improvement period has not ended on `on` (not served yet: not begun)."""
    for n in notices:
        started = n.status in OPEN_NOTICE and n.issued_on <= on
        if started and (n.served_end is None or on <= n.served_end):
            return n
    return None


async def parents_told(uow: UnitOfWork, upn: str, notice_id: int, on: date) -> set[str]:
    """Parents on whom the intend letter for this notice was served by `on`: an email the
    server accepted under consent, or a printed copy posted or handed over, deemed received."""
    told = {
        e.parent_id
        for e in await uow.mail.emails_for(upn)
        if e.template == INTEND
        and e.notice_id == notice_id
        and e.state is EmailState.SENT
        and e.deemed_received_on is not None
        and e.deemed_received_on <= on
    }
    told |= {
        c.parent_id
        for c in await uow.mail.printed_for(upn)
        if c.template == INTEND
        and c.notice_id == notice_id
        and c.deemed_received_on is not None
        and c.deemed_received_on <= on
    }
    return told


async def require_parents_told(
    uow: UnitOfWork, upn: str, on: date, act: str, not_told: str | None
) -> Untold | None:
    """Inside an open unit of work: refuse `act` before the running notice's period ends
    unless each parent was served the intend letter; with a reason, allow it and return the
    gap to record (None when nothing is missing)."""
    notice = running_notice(await uow.cases.notices(upn), on)
    if notice is None:
        return None
    told = await parents_told(uow, upn, notice.id, on)
    waiting = [p for p in await uow.registry.parents_of(upn) if p.parent_id not in told]
    if not waiting:
        return None
    if not_told and not_told.strip():
        return Untold(notice.id, tuple(p.parent_id for p in waiting), not_told.strip())
    until = f"runs until {notice.served_end}" if notice.served_end else "has not begun"
    names = ", ".join(f"{p.parent_id} ({p.name})" if p.name else p.parent_id for p in waiting)
    raise Refused(
        f"{act} refused: the improvement period of Notice to Improve {notice.id} {until}, and "
        f"the parents must be told first: serve the {INTEND} letter on {names} "
        f"(letter send {INTEND} {upn}, then record its delivery), or say why not "
        "(--parents-not-told)"
    )


def untold_escalations(entries: list[Entry]) -> tuple[str, ...]:
    """The checklist's gaps: each act that escalated early without the parents told."""
    return tuple(
        f"{e.on} {e.kind.replace('_', ' ')}: parent "
        f"{', '.join(e.details.get('untold_parents', []))} not told first ({e.details[NOT_TOLD]})"
        for e in entries
        if e.details.get(NOT_TOLD)
    )
