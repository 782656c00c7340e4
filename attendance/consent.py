"""Consent to email: each parent's own written consent, at an address only they hold.

Email is acceptable evidence of service only with written consent from each parent, and each
parent must have their own address: a shared family address is refused (DOMAIN.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

METHODS = ("form", "email", "portal", "verbal-confirmed-in-writing")


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    parent_id: str
    email: str
    method: str
    given_on: date
    evidence_sha256: str | None = None
    withdrawn_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.given_on <= on and (self.withdrawn_on is None or self.withdrawn_on > on)


def address_key(email: str) -> str:
    """Two spellings of one mailbox compare equal (the domain is case-blind; in practice so is
    every provider's local part)."""
    return email.strip().casefold()


def consent_on(records: list[ConsentRecord], on: date) -> ConsentRecord | None:
    """The consent in force on `on` (the latest given), if any."""
    live = [r for r in records if r.in_force(on)]
    return max(live, key=lambda r: (r.given_on, r.id)) if live else None
