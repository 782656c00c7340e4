"""Filing the mail that comes back: replies, auto-replies, bounces and read receipts.

Each message is stored raw (evidence) before anything else, then read, then matched to the
email it answers: by the token in the address it was sent to, then by In-Reply-To/References
(or, for a report, the original Message-ID it quotes). A matched human reply goes into the
pupil's chronology and raises ParentReplied; an out-of-office is recorded but is not engagement;
a bounce of a formal notice means it was not served (NoticeNotServed). Anything that matches no
email of ours, or comes from an address that is not the parent's, is quarantined with a reason
and attached to no case. The same bytes read twice are filed once.

Who sent it decides what it may do (casework/mail_trust.py): a message whose From fails DMARC
is quarantined as `unauthenticated`; one that proves nothing is filed with its sender marked
not verified; a bounce or delivery report that is not authenticated changes no email's state
and becomes a `bounce_unverified` entry with a BounceUnverified alert for staff to check.
Floods are held back: past the per-sender and per-case limits messages are quarantined as
`rate_limited`, and a case raises one alert of a kind an hour, the next one saying how many
were held back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from attendance.consent import address_key
from casework.events import BounceUnverified, ParentReplied
from casework.mail_trust import (
    ALERT_QUIET,
    CASE_LIMIT,
    QUARANTINE_MEANING,
    RATE_WINDOW,
    SENDER_LIMIT,
    Proof,
    Quarantine,
    refused,
    report_authenticated,
    sender_verified,
)
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


@dataclass(frozen=True)
class Held:
    """Why a message goes to no case: the reason's code and what staff read."""

    code: Quarantine
    text: str


async def _file_one(uow: UnitOfWork, a: Arrived, sha256: str, r: Reading, now: datetime) -> Filed:
    email = await _match(uow, r)
    verified = None if r.proof.checked_by == "" else sender_verified(r.proof)
    held = await _quarantine_reason(uow, r, email)
    if held is None and email is not None and not _proven(email, r, verified):
        held = await _flooding(uow, r, email, now)
    record = _inbound(a, sha256, r, email, held, verified, now)
    inbound_id = await uow.mail.add_inbound(record)
    if inbound_id is None:
        return Filed(record, new=False)
    if email is not None and held is None:
        await _on_case(uow, email, r, sha256, verified, now)
    return Filed(record, new=True)


async def _quarantine_reason(uow: UnitOfWork, r: Reading, email: EmailRecord | None) -> Held | None:
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
        r.from_address is None
        or address_key(r.from_address) not in await _parent_addresses(uow, email)
    ):
        return Held(
            Quarantine.not_parent,
            f"sender {r.from_address or '(none)'} is not the address of parent "
            f"{email.parent_id} on file; check it before attaching it to {email.upn}'s case",
        )
    return None


async def _flooding(uow: UnitOfWork, r: Reading, email: EmailRecord, now: datetime) -> Held | None:
    """Past the hour's limit for this sender or this case, a message whose sender is not
    proven is held, not filed (a proven parent's own messages are all evidence: only their
    alerts are limited)."""
    since = now - RATE_WINDOW
    # Bounces come from a few shared mail-system addresses: only their case is counted.
    sender = (r.from_address or "").lower() if r.mail_class != "bounce" else ""
    if sender and await uow.mail.inbound_count(since, sender=sender) >= SENDER_LIMIT:
        return Held(
            Quarantine.rate_limited,
            f"{Quarantine.rate_limited}: more than {SENDER_LIMIT} messages from {sender} in "
            f"an hour; {QUARANTINE_MEANING[Quarantine.rate_limited]}",
        )
    if await uow.mail.inbound_count(since, upn=email.upn) >= CASE_LIMIT:
        return Held(
            Quarantine.rate_limited,
            f"{Quarantine.rate_limited}: more than {CASE_LIMIT} messages for {email.upn}'s "
            f"case in an hour; {QUARANTINE_MEANING[Quarantine.rate_limited]}",
        )
    return None


def _inbound(
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


def _entry_kind(r: Reading) -> str | None:
    """The case-log entry a message on a case makes (a bounce that failed makes none)."""
    if r.mail_class == "bounce":
        return "email_delayed" if r.delayed else "delivery_confirmed" if r.delivered else None
    return {"reply": "parent_replied", "auto_reply": "auto_reply", "mdn": "read_receipt"}.get(
        r.mail_class
    )


async def _on_case(
    uow: UnitOfWork,
    email: EmailRecord,
    r: Reading,
    sha256: str,
    verified: bool | None,
    now: datetime,
) -> None:
    """A failed delivery marks the email bounced; anything else is logged on the case. A report
    that is not authenticated changes nothing: staff are asked to check it."""
    if r.mail_class == "bounce" and not _report_believed(email, r):
        await _bounce_unverified(uow, email, r, sha256, now)
        return
    kind = _entry_kind(r)
    if r.mail_class == "bounce" and not r.delayed and not r.delivered:
        await mark_bounced(uow, email, f"bounced: {r.reason}", now)
    elif kind is not None:
        details: dict[str, Any] = {
            "message_id": r.message_id,
            "from": r.from_address,
            "subject": r.subject,
            "in_reply_to": email.message_id,
            "parent_id": email.parent_id,
            "sha256": sha256,
        }
        if kind != "delivery_confirmed" and kind != "email_delayed":
            details["sender_verified"] = verified
            details["authentication"] = r.proof.summary() if r.proof.checked_by else None
        summary = _summary(kind, email, r, verified)
        on = now.date()
        if kind == "parent_replied":
            alert, held_back = await _alert_due(uow, email.upn, kind, now)
            details["alerted"] = alert
            await uow.cases.add_entry(email.upn, on, kind, "supportfirst", summary, details, now)
            if alert:
                await uow.outbox.add(
                    ParentReplied(
                        email.upn,
                        on,
                        r.message_id or "",
                        email.parent_id,
                        email.message_id,
                        r.subject,
                        email.notice_id,
                        verified,
                        held_back,
                    ),
                    now,
                )
        else:
            await uow.cases.add_entry(email.upn, on, kind, "supportfirst", summary, details, now)


def _proven(email: EmailRecord, r: Reading, verified: bool | None) -> bool:
    """Proven messages are never held back as a flood (only their alerts are limited)."""
    return verified is True or (r.mail_class == "bounce" and _report_believed(email, r))


def _report_believed(email: EmailRecord, r: Reading) -> bool:
    recorded = {email.queue_id} if email.queue_id else set()  # from our relay's 250 reply
    return report_authenticated(
        r.proof, email.recipient, email.envelope_from, recorded, r.queue_ids
    )


def _report(r: Reading) -> str:
    return "delayed" if r.delayed else "delivered" if r.delivered else "failed"


async def _bounce_unverified(
    uow: UnitOfWork, email: EmailRecord, r: Reading, sha256: str, now: datetime
) -> None:
    report = _report(r)
    says = {
        "failed": "says it was NOT delivered",
        "delayed": "says its delivery is delayed",
        "delivered": "says it was delivered",
    }[report]
    summary = (
        f"A report that cannot be authenticated {says} ({email.template} to {email.recipient}, "
        f"from {r.from_address or '(no sender)'}): nothing was changed; check with the parent "
        "or the mail provider before relying on it"
    )
    alert, held_back = await _alert_due(uow, email.upn, "bounce_unverified", now)
    details = {
        "message_id": r.message_id,
        "from": r.from_address,
        "report": report,
        "reason": r.reason,
        "about": email.message_id,
        "parent_id": email.parent_id,
        "notice_id": email.notice_id,
        "sha256": sha256,
        "authentication": r.proof.summary() if r.proof.checked_by else None,
        "alerted": alert,
    }
    on = now.date()
    await uow.cases.add_entry(
        email.upn, on, "bounce_unverified", "supportfirst", summary, details, now
    )
    if alert:
        event = BounceUnverified(
            email.upn,
            on,
            email.notice_id,
            email.message_id,
            email.parent_id,
            email.template,
            report,
            r.reason,
            r.from_address or "",
            held_back,
        )
        await uow.outbox.add(event, now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _alert_due(uow: UnitOfWork, upn: str, kind: str, now: datetime) -> tuple[bool, int]:
    """Whether an entry of `kind` on this case may raise its alert now (one an hour), and how
    many were held back since the last alert (counted, and said in the next one)."""
    entries = [e for e in await uow.cases.entries(upn) if e.kind == kind]
    alerted = [_aware(e.recorded_at) for e in entries if e.details.get("alerted") is True]
    last = max(alerted, default=None)
    if last is not None and _aware(now) - last < ALERT_QUIET:
        return False, 0
    held = [e for e in entries if e.details.get("alerted") is False]
    return True, sum(1 for e in held if last is None or _aware(e.recorded_at) >= last)


def _summary(kind: str, email: EmailRecord, r: Reading, verified: bool | None) -> str:
    who = f"{r.from_address}{', sender not verified' if verified is False else ''}"
    return {
        "parent_replied": f"Reply from the parent ({who}): {r.subject or ''}",
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
    # Reading asks DNS (DKIM keys, SPF, DMARC): off the event loop, which serves Slack too.
    readings = await asyncio.to_thread(lambda: [read(a.raw) for a, _ in stored])
    filed = []
    async with uow:
        for (a, sha256), r in zip(stored, readings, strict=True):
            filed.append(await _file_one(uow, a, sha256, r, now))
        if progress is not None:
            await uow.mail.save_mailbox_state(*progress, now)
        await uow.commit()
    return filed
