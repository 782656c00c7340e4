"""Letters that go by post or by hand: the printable copies, and recording their delivery.

When staff post a letter or hand it over, they record it; the notice's delivery then carries
the date it is deemed received: first-class post on the second working day after posting
(DOMAIN.md), by hand the same day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from attendance.penalty import deemed_receipt
from casework.errors import NotFound, Refused
from casework.letters import TITLES
from casework.notice_service import replan_on_delivery
from casework.ports import Evidence, UnitOfWork
from casework.records import HowDelivered, PrintedCopy

HOW = {"post": "posted first class", "hand": "delivered by hand"}


@dataclass(frozen=True)
class RecordedDelivery:
    copy: PrintedCopy
    # Set when the delivery moved a notice's improvement period, or leaves it unable to start.
    warning: str | None = None


@dataclass(frozen=True)
class PrintedFiles:
    copy: PrintedCopy
    letter: bytes
    slip: bytes


async def printed_files(uow: UnitOfWork, evidence: Evidence, printed_id: int) -> PrintedFiles:
    async with uow:
        copy = await uow.mail.printed(printed_id)
    if copy is None:
        raise NotFound(f"no printed letter {printed_id}")
    return PrintedFiles(copy, evidence.get(copy.letter_sha256), evidence.get(copy.slip_sha256))


async def record_delivery(
    uow: UnitOfWork, printed_id: int, how: str, on: date, by: str, now: datetime
) -> RecordedDelivery:
    """`how` is post or hand; refused when it was recorded already (the slip is the record)."""
    if how not in HOW:
        raise Refused(f"--how: {how!r} is not one of {', '.join(HOW)}")
    async with uow:
        copy = await uow.mail.printed(printed_id)
        if copy is None:
            raise NotFound(f"no printed letter {printed_id}")
        if copy.delivered_on is not None:
            raise Refused(
                f"printed letter {printed_id} was already {HOW[copy.delivered_how or 'post']} "
                f"on {copy.delivered_on} by {copy.delivered_by}"
            )
        way = HowDelivered(how)
        received = deemed_receipt(on) if way is HowDelivered.POST else on
        await uow.mail.printed_delivered(printed_id, way, on, by, received)
        warning = None
        # Only the notice itself serves the notice: the intend letter also names it, but its
        # delivery is evidence that the parents were told (casework/escalation.py), no more.
        if copy.notice_id is not None and copy.template == "nti":
            await uow.cases.delivery_confirmed(copy.notice_id, copy.parent_id, way, received)
            warning = await replan_on_delivery(uow, copy.notice_id, on, now)
        title = TITLES.get(copy.template, copy.template)
        details = {
            "printed_id": printed_id,
            "parent_id": copy.parent_id,
            "delivered_how": how,
            "delivered_on": on,
            "delivered_by": by,
            "deemed_received_on": received,
        }
        summary = f"{title} {HOW[how]} to parent {copy.parent_id}; deemed received {received}."
        await uow.cases.add_entry(copy.upn, on, "letter_delivered", by, summary, details, now)
        await uow.audit.append(by, "letter.delivered", f"pupil:{copy.upn}", details, now)
        await uow.commit()
    delivered = replace(
        copy, delivered_how=way, delivered_on=on, delivered_by=by, deemed_received_on=received
    )
    return RecordedDelivery(delivered, warning)
