"""Where one inbound message goes, decided from what the batch knows (casework/inbound_batch.py)
without a statement of its own: on the case of the email it answers, or to the quarantine with
a reason; and the row it is stored as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from attendance.consent import address_key
from casework.inbound_batch import Known, Looked, counted_sender
from casework.mail_trust import (
    CASE_LIMIT,
    QUARANTINE_MEANING,
    SENDER_LIMIT,
    Proof,
    Quarantine,
    refused,
    report_authenticated,
)
from casework.records import EmailRecord, InboundRecord


class Reading(Looked, Protocol):
    """A message as read (mail/reading.py): what the look-ups need, and the rest."""

    @property
    def reason(self) -> str: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def delayed(self) -> bool: ...
    @property
    def delivered(self) -> bool: ...
    @property
    def proof(self) -> Proof: ...
    @property
    def queue_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Arrived:
    raw: bytes
    mailbox: str
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Held:
    """Why a message goes to no case: the reason's code and what staff read."""

    code: Quarantine
    text: str


def quarantine_reason(r: Reading, email: EmailRecord | None, known: Known) -> Held | None:
    """Why this message goes to no case, or None: it belongs on the case of `email`."""
    if r.mail_class == "malformed":
        return Held(Quarantine.malformed, r.reason)
    if email is None:
        return Held(
            Quarantine.unmatched,
            "matches no email we sent (no token, In-Reply-To or References of ours)",
        )
    if r.mail_class != "bounce" and (why := refused(r.proof)) is not None:
        return Held(Quarantine.unauthenticated, why)
    if r.mail_class in ("reply", "auto_reply") and (
        r.from_address is None or address_key(r.from_address) not in known.parent_addresses(email)
    ):
        return Held(
            Quarantine.not_parent,
            f"sender {r.from_address or '(none)'} is not the address of parent "
            f"{email.parent_id} on file; check it before attaching it to {email.upn}'s case",
        )
    return None


def flooding(r: Reading, email: EmailRecord, known: Known) -> Held | None:
    """Past the hour's limit for this sender or this case, a message whose sender is not
    proven is held, not filed (a proven parent's own messages are all evidence: only their
    alerts are limited)."""
    sender = counted_sender(r)
    if sender and known.from_sender[sender] >= SENDER_LIMIT:
        return Held(
            Quarantine.rate_limited,
            f"{Quarantine.rate_limited}: more than {SENDER_LIMIT} messages from {sender} in "
            f"an hour; {QUARANTINE_MEANING[Quarantine.rate_limited]}",
        )
    if known.for_case[email.upn] >= CASE_LIMIT:
        return Held(
            Quarantine.rate_limited,
            f"{Quarantine.rate_limited}: more than {CASE_LIMIT} messages for {email.upn}'s "
            f"case in an hour; {QUARANTINE_MEANING[Quarantine.rate_limited]}",
        )
    return None


def proven(email: EmailRecord, r: Reading, verified: bool | None) -> bool:
    """Proven messages are never held back as a flood (only their alerts are limited)."""
    return verified is True or (r.mail_class == "bounce" and report_believed(email, r))


def report_believed(email: EmailRecord, r: Reading) -> bool:
    recorded = {email.queue_id} if email.queue_id else set()  # from our relay's 250 reply
    return report_authenticated(
        r.proof, email.recipient, email.envelope_from, recorded, r.queue_ids
    )


def inbound_record(
    a: Arrived,
    sha256: str,
    r: Reading,
    email: EmailRecord | None,
    held: Held | None,
    verified: bool | None,
    now: datetime,
) -> InboundRecord:
    """The stored record: attached to `email`'s case, or quarantined with `held`'s reason
    (still naming the email of ours it answers, if any, for staff deciding where it belongs)."""
    upn = email.upn if email is not None and held is None else None
    return InboundRecord(
        sha256,
        len(a.raw),
        a.mailbox,
        a.uidvalidity,
        a.uid,
        r.message_id,
        r.from_address,
        r.subject,
        r.mail_class,
        held.text if held is not None and upn is None else None,
        upn,
        email.id if email is not None else None,
        upn is None,
        now,
        quarantine=str(held.code) if held is not None and upn is None else None,
        sender_verified=verified,
        authentication=r.proof.summary() if r.proof.checked_by else None,
    )
