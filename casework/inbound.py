"""Filing the mail that comes back: replies, auto-replies, bounces and read receipts.

Each message is stored raw (evidence) before anything else, then read, then matched to the
email it answers: by the token in the address it was sent to, then by In-Reply-To/References
(or, for a report, the original Message-ID it quotes). A matched human reply goes into the
pupil's chronology and raises ParentReplied; an out-of-office is recorded but is not engagement;
a bounce of a formal notice means it was not served (NoticeNotServed). Anything that matches no
email of ours, or comes from an address that is not the parent's, is quarantined with a reason
and attached to no case. The same bytes read twice are filed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from attendance.consent import address_key
from casework.events import ParentReplied
from casework.outgoing import mark_bounced
from casework.ports import Evidence, UnitOfWork
from casework.records import EmailRecord, InboundRecord


class Reading(Protocol):
    @property
    def mail_class(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def from_address(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def references(self) -> tuple[str, ...]: ...
    @property
    def reply_tokens(self) -> tuple[str, ...]: ...
    @property
    def bounce_tokens(self) -> tuple[str, ...]: ...
    @property
    def delayed(self) -> bool: ...
    @property
    def delivered(self) -> bool: ...


@dataclass(frozen=True)
class Arrived:
    raw: bytes
    mailbox: str
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Filed:
    record: InboundRecord
    new: bool


async def _match(uow: UnitOfWork, r: Reading) -> EmailRecord | None:
    tokens = r.bounce_tokens + r.reply_tokens if r.mail_class == "bounce" else r.reply_tokens
    for token in tokens:
        if (email := await uow.mail.email_by_token(token)) is not None:
            return email
    for ref in r.references:
        if (email := await uow.mail.email(ref)) is not None:
            return email
    return None


async def _parent_addresses(uow: UnitOfWork, email: EmailRecord) -> set[str]:
    known = {address_key(email.recipient)}
    for c in await uow.consents.for_parent(email.parent_id):
        known.add(address_key(c.email))
    parent = await uow.registry.parent(email.parent_id)
    if parent is not None and parent.email:
        known.add(address_key(parent.email))
    return known


async def _file_one(uow: UnitOfWork, a: Arrived, sha256: str, r: Reading, now: datetime) -> Filed:
    email = await _match(uow, r)
    reason = await _quarantine_reason(uow, r, email)
    record = _inbound(a, sha256, r, email, reason, now)
    inbound_id = await uow.mail.add_inbound(record)
    if inbound_id is None:
        return Filed(record, new=False)
    if email is not None and reason is None:
        await _on_case(uow, email, r, sha256, now)
    return Filed(record, new=True)


async def _quarantine_reason(uow: UnitOfWork, r: Reading, email: EmailRecord | None) -> str | None:
    """Why this message goes to no case, or None: it belongs on the case of `email`."""
    if r.mail_class == "malformed":
        return r.reason
    if email is None:
        return "matches no email we sent (no token, In-Reply-To or References of ours)"
    if r.mail_class in ("reply", "auto_reply") and (
        r.from_address is None
        or address_key(r.from_address) not in await _parent_addresses(uow, email)
    ):
        return (
            f"sender {r.from_address or '(none)'} is not the address of parent "
            f"{email.parent_id} on file; check it before attaching it to {email.upn}'s case"
        )
    return None


def _inbound(
    a: Arrived,
    sha256: str,
    r: Reading,
    email: EmailRecord | None,
    reason: str | None,
    now: datetime,
) -> InboundRecord:
    """The stored record: attached to `email`'s case, or quarantined with `reason` (still
    naming the email of ours it answers, if any, for staff deciding where it belongs)."""
    upn = email.upn if email is not None and reason is None else None
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
        reason if upn is None else None,
        upn,
        email.id if email is not None else None,
        upn is None,
        now,
    )


def _entry_kind(r: Reading) -> str | None:
    """The case-log entry a message on a case makes (a bounce that failed makes none)."""
    if r.mail_class == "bounce":
        return "email_delayed" if r.delayed else "delivery_confirmed" if r.delivered else None
    return {"reply": "parent_replied", "auto_reply": "auto_reply", "mdn": "read_receipt"}.get(
        r.mail_class
    )


async def _on_case(
    uow: UnitOfWork, email: EmailRecord, r: Reading, sha256: str, now: datetime
) -> None:
    """A failed delivery marks the email bounced; anything else is logged on the case."""
    kind = _entry_kind(r)
    if r.mail_class == "bounce" and not r.delayed and not r.delivered:
        await mark_bounced(uow, email, f"bounced: {r.reason}", now)
    elif kind is not None:
        details = {
            "message_id": r.message_id,
            "from": r.from_address,
            "subject": r.subject,
            "in_reply_to": email.message_id,
            "parent_id": email.parent_id,
            "sha256": sha256,
        }
        summary = _summary(kind, email, r)
        on = now.date()
        await uow.cases.add_entry(email.upn, on, kind, "supportfirst", summary, details, now)
        if kind == "parent_replied":
            await uow.outbox.add(
                ParentReplied(
                    email.upn,
                    on,
                    r.message_id or "",
                    email.parent_id,
                    email.message_id,
                    r.subject,
                    email.notice_id,
                ),
                now,
            )


def _summary(kind: str, email: EmailRecord, r: Reading) -> str:
    return {
        "parent_replied": f"Reply from the parent ({r.from_address}): {r.subject or ''}",
        "auto_reply": f"Automatic reply (not engagement) from {r.from_address}",
        "read_receipt": f"Read receipt for {email.template} from {r.from_address}",
        "email_delayed": f"Delivery of {email.template} is delayed: {r.reason}",
        "delivery_confirmed": f"The recipient's server confirmed delivery of {email.template}",
    }[kind].strip()


async def file_messages(
    uow: UnitOfWork,
    evidence: Evidence,
    read: Callable[[bytes], Reading],
    arrived: Sequence[Arrived],
    now: datetime,
    progress: tuple[str, int, int] | None = None,
) -> list[Filed]:
    """Store, read and file a batch in one transaction, with how far the mailbox was read
    (`progress` = mailbox, UIDVALIDITY, highest UID), so a restart neither loses nor repeats."""
    stored = [(a, evidence.put(a.raw)) for a in arrived]  # raw bytes first, before parsing
    readings = [read(a.raw) for a, _ in stored]
    filed = []
    async with uow:
        for (a, sha256), r in zip(stored, readings, strict=True):
            filed.append(await _file_one(uow, a, sha256, r, now))
        if progress is not None:
            await uow.mail.save_mailbox_state(*progress, now)
        await uow.commit()
    return filed
