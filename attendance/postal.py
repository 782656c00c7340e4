"""A parent's postal address, as printed letters carry it and the referral pack lists it.

Printed letters are served by post or by hand, so the address they go to is part of the evidence
of service; the LA asks that it was checked recently and kept up to date (DOMAIN.md, "Contacts").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# The well-known simple shape of a UK postcode (outward code, a space, inward code), as the
# Royal Mail's Postcode Address File writes them: e.g. "SW1A 1AA", "M1 1AE", "CR2 6XH".
# It checks the shape only, not that the postcode exists.
POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$")
# A UK phone number has 10 or 11 digits (12 with the +44 prefix); spaces, brackets and hyphens
# are how people write it.
_PHONE = re.compile(r"^\+?[0-9 ()-]+$")


class PostalError(ValueError):
    pass


def normal_postcode(text: str) -> str:
    """The postcode in its printed form ("sw1a1aa" -> "SW1A 1AA"); PostalError when it is not
    shaped like a UK postcode."""
    squeezed = "".join(text.split()).upper()
    spaced = f"{squeezed[:-3]} {squeezed[-3:]}" if len(squeezed) > 3 else squeezed
    if not POSTCODE.match(spaced):
        raise PostalError(f"{text!r} is not a UK postcode (e.g. SW1A 1AA)")
    return spaced


def normal_phone(text: str) -> str:
    """The number as written, spaces collapsed; PostalError when it is not a UK phone number."""
    digits = "".join(c for c in text if c.isdigit())
    if not _PHONE.match(text) or not 10 <= len(digits) <= 12:
        raise PostalError(f"{text!r} is not a phone number (10 or 11 digits, e.g. 01234 567890)")
    return " ".join(text.split())


@dataclass(frozen=True)
class PostalAddress:
    line_1: str
    line_2: str
    town: str
    postcode: str

    def lines(self) -> tuple[str, ...]:
        """The lines of the address block, the empty second line left out."""
        return tuple(x for x in (self.line_1, self.line_2, self.town, self.postcode) if x)

    def one_line(self) -> str:
        return ", ".join(self.lines())


@dataclass(frozen=True)
class AddressVersion:
    """One address a parent had, from the day it was first seen (in an import) onwards."""

    parent_id: str
    address: PostalAddress
    first_seen_on: date
    source: str  # the parents file it came from


def current(versions: list[AddressVersion]) -> AddressVersion | None:
    """The latest address (versions are kept oldest first)."""
    return versions[-1] if versions else None
