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


# Gmail ignores dots in the local part, and googlemail.com is the same mailbox as gmail.com.
_GMAIL = frozenset({"gmail.com", "googlemail.com"})


def address_key(email: str) -> str:
    """Every spelling of one mailbox gives the same key, so that a parent cannot take another
    parent's address in disguise (DOMAIN.md, "Consent in writing"): case is ignored (the domain
    is case-blind, and in practice so is every provider's local part); a `+tag` is dropped
    (plus-addressing delivers to the same mailbox at Gmail, Outlook, iCloud, Fastmail and most
    others); at Gmail and Googlemail the dots of the local part are dropped."""
    text = email.strip().casefold()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def consent_on(records: list[ConsentRecord], on: date) -> ConsentRecord | None:
    """The consent in force on `on` (the latest given), if any."""
    live = [r for r in records if r.in_force(on)]
    return max(live, key=lambda r: (r.given_on, r.id)) if live else None
