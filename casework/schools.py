"""A school's contact details (`school set URN …`, `school show URN`): the letterhead, the pack's
cover and the number a letter gives when the member of staff has none of their own."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from casework.errors import NotFound
from casework.ports import UnitOfWork
from casework.records import SchoolContact, SchoolRow
from casework.staff import check_contact, find_staff


@dataclass(frozen=True)
class SchoolDetails:
    school: SchoolRow
    contact: SchoolContact


async def set_school(
    uow: UnitOfWork, urn: str, changes: dict[str, str], by: str, now: datetime
) -> SchoolDetails:
    """Change the given contact fields (address, phone, email, champion); the rest stay."""
    async with uow:
        actor = (await find_staff(uow, by)).id
        school = await _known(uow, urn)
        old = await uow.registry.school_contact(urn)
        new = replace(old, **{k: v.strip() for k, v in changes.items()})
        check_contact(new.email, new.phone)
        await uow.registry.save_school_contact(new, now)
        details = {k: getattr(new, k) for k in changes}
        await uow.audit.append(actor, "school.contact_set", f"school:{urn}", details, now)
        await uow.commit()
    return SchoolDetails(school, new)


async def school_details(uow: UnitOfWork, urn: str) -> SchoolDetails:
    async with uow:
        return SchoolDetails(await _known(uow, urn), await uow.registry.school_contact(urn))


async def _known(uow: UnitOfWork, urn: str) -> SchoolRow:
    school = await uow.registry.school(urn)
    if school is None:
        raise NotFound(f"no school {urn}: import the schools file first")
    return school
