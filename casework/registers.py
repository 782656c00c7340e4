"""Registers are legal documents, kept per school: what must hold before a notice or penalty
can rest on them (attendance/threshold.py, `effective` and `conflicts`)."""

from __future__ import annotations

from casework.errors import RegistersDisagree
from casework.ports import UnitOfWork

# How many conflicting sessions a refusal lists before saying how many more there are.
_LISTED = 3


async def require_registers_agree(uow: UnitOfWork, upn: str) -> None:
    """Refuse while two schools' registers disagree for any session of the pupil."""
    found = await uow.marks.conflicts([upn])
    if not found:
        return
    listed = "; ".join(c.conflict.describe() for c in found[:_LISTED])
    more = f" (and {len(found) - _LISTED} more)" if len(found) > _LISTED else ""
    raise RegistersDisagree(
        f"the registers of two schools disagree for {upn}: {listed}{more}; one school must "
        "correct its mark (import the corrected register) first"
    )
