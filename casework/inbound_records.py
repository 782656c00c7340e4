"""A message read from the inbox as stored, and staff's triage of one quarantined (re-exported
by casework.records, where the other records are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Triage(StrEnum):
    """Staff's decision on a quarantined message (`mail attach` / `mail dismiss`, /inbox)."""

    ATTACHED = "attached"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class InboundRecord:
    sha256: str
    size: int
    mailbox: str
    uidvalidity: int | None
    uid: int | None
    message_id: str | None
    from_address: str | None
    subject: str | None
    mail_class: str
    reason: str | None
    upn: str | None
    outgoing_id: int | None
    quarantined: bool
    received_at: datetime
    id: int = 0
    triage: str | None = None  # "attached" or "dismissed" by staff, from the quarantine
    triaged_by: str | None = None
    triaged_at: datetime | None = None
    triage_reason: str | None = None
    parent_id: str | None = None  # who wrote it, when staff said so on attaching it
    quarantine: str | None = None  # the reason's code (casework.mail_trust.Quarantine)
    sender_verified: bool | None = None  # None: not checked (read before checks existed)
    authentication: str | None = None  # the DKIM, SPF and DMARC results and who checked them
