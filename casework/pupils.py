"""The pupil a use case is about, read inside an open unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.errors import NotFound
from casework.records import PupilRow

if TYPE_CHECKING:  # annotations only: `--help` lists this module's names without the ports
    from casework.ports import UnitOfWork


async def known_pupil(uow: UnitOfWork, upn: str) -> PupilRow:
    """The pupil with this UPN, or NotFound in the words staff read."""
    pupil = await uow.registry.pupil(upn)
    if pupil is None:
        raise NotFound(f"no pupil with UPN {upn}")
    return pupil


async def school_name(uow: UnitOfWork, pupil: PupilRow) -> str:
    """The pupil's school by name, or by URN when the school is not on record."""
    school = await uow.registry.school(pupil.school_urn)
    return school.name if school else pupil.school_urn
