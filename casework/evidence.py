"""`evidence show` and `outbox status`: what was sent or received, and proof it is unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from casework.errors import NotFound
from casework.ports import Evidence, UnitOfWork
from casework.records import EmailRecord, InboundRecord, SendOutcome

STATES = ("queued", "sending", "sent", "failed")


@dataclass(frozen=True)
class EvidenceItem:
    sha256: str
    raw: bytes | None  # None when the blob is missing from the store
    matches: bool
    sent: EmailRecord | None = None
    attempts: tuple[SendOutcome, ...] = ()
    received: InboundRecord | None = None


async def evidence_for(uow: UnitOfWork, evidence: Evidence, message_id: str) -> EvidenceItem:
    """The stored bytes of a message we sent or received, by its Message-ID."""
    bare = message_id.strip().strip("<>")
    async with uow:
        sent = await uow.mail.email(bare)
        received = None if sent else await uow.mail.inbound_by_message_id(f"<{bare}>")
        attempts = tuple(await uow.mail.attempts(sent.id)) if sent else ()
    if sent is None and received is None:
        raise NotFound(f"no email with Message-ID <{bare}> was sent or received")
    sha256 = sent.sha256 if sent else received.sha256 if received else ""
    try:
        raw: bytes | None = evidence.get(sha256)
    except LookupError:
        raw = None
    matches = raw is not None and hashlib.sha256(raw).hexdigest() == sha256
    return EvidenceItem(sha256, raw, matches, sent, attempts, received)


async def outbox_status(uow: UnitOfWork, schools: Collection[str] | None = None) -> dict[str, int]:
    """The emails in each state: every school's, or only those about the pupils of `schools`."""
    async with uow:
        counts = await uow.mail.counts(schools)
    return {state: counts.get(state, 0) for state in STATES}
