"""The parents as the referral pack lists them: how each is written to, and every postal
address on file with the day it was first seen and the last time staff checked it (the LA asks
for any change of address, and that the current one was checked recently: DOMAIN.md)."""

from __future__ import annotations

from collections.abc import Mapping

from attendance.consent import ConsentRecord
from attendance.postal import AddressVersion
from attendance.ukdates import uk_day
from casework.addresses import ADDRESS_CHECKED
from casework.packview import AddressLine, ParentLine
from casework.records import Entry, ParentRow


def parent_lines(
    parents: list[ParentRow],
    consents: list[ConsentRecord],
    addresses: Mapping[str, list[AddressVersion]],
    entries: list[Entry],
) -> tuple[ParentLine, ...]:
    """How each parent is written to (the consent in force, or post), and where they live."""
    in_force = {x.parent_id: x for x in consents if x.withdrawn_on is None}

    def contact(parent: ParentRow) -> str:
        phone = f"; phone {parent.phone}" if parent.phone else ""
        if parent.parent_id not in in_force:
            return f"post: no consent to email{phone}"
        c = in_force[parent.parent_id]
        return f"email {c.email} (written consent {c.id}, {c.method}, {uk_day(c.given_on)}){phone}"

    checked = {
        str(e.details.get("parent_id")): e.on for e in entries if e.kind == ADDRESS_CHECKED
    }  # entries are oldest first: the last check wins
    return tuple(
        ParentLine(
            p.parent_id,
            p.name,
            p.relationship,
            contact(p),
            tuple(
                AddressLine(v.address.one_line(), v.first_seen_on, v.source)
                for v in addresses.get(p.parent_id, [])
            ),
            checked.get(p.parent_id),
        )
        for p in parents
    )
