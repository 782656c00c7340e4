"""Parents' postal addresses: every version on file, and the checks staff make that the current
one is still right (the LA asks that it was checked recently; Kent: within 6 months)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from attendance.postal import AddressVersion, PostalAddress
from casework.errors import NotFound, Refused
from casework.ports import UnitOfWork

# The case-log kind the pre-referral checklist reads ("current address checked"): its details
# carry `parent_id` and `on` (ISO date).
ADDRESS_CHECKED = "address_checked"


@dataclass(frozen=True)
class AddressCheck:
    parent_id: str
    name: str
    address: PostalAddress
    on: date
    by: str
    upns: tuple[str, ...]


async def record_address_check(
    uow: UnitOfWork, parent_id: str, on: date, by: str, now: datetime
) -> AddressCheck:
    """`parent address-checked PARENT_ID --on DATE --by STAFF`: in each child's case log and
    the audit log. Refused for a parent with no address, or a check dated in the future."""
    if on > now.date():
        raise Refused(f"--on: {on} is in the future: record a check once it has been made")
    async with uow:
        parent = await uow.registry.parent(parent_id)
        if parent is None:
            raise NotFound(f"no parent with id {parent_id}")
        if parent.address is None:
            raise Refused(
                f"parent {parent_id} has no postal address on file to check: import the parents "
                "file with address_line_1, town and postcode first"
            )
        upns = tuple(await uow.registry.children_of(parent_id))
        where = parent.address.one_line()
        details = {"parent_id": parent_id, "on": on.isoformat(), "address": where}
        summary = f"{parent.name}'s address checked and still correct: {where}."
        for upn in upns:
            await uow.cases.add_entry(upn, on, ADDRESS_CHECKED, by, summary, dict(details), now)
        await uow.audit.append(by, "parent.address_checked", f"parent:{parent_id}", details, now)
        await uow.commit()
    return AddressCheck(parent_id, parent.name, parent.address, on, by, upns)


async def address_history(uow: UnitOfWork, parent_id: str) -> list[AddressVersion]:
    async with uow:
        if await uow.registry.parent(parent_id) is None:
            raise NotFound(f"no parent with id {parent_id}")
        return await uow.registry.addresses(parent_id)
