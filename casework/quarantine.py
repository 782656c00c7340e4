"""The quarantine: mail that matched no case, or came from an address that is not the parent's,
waits for staff. They open each message as stored and attach it to a case or dismiss it, each
with a reason, audited and in the chronology like the same act anywhere else.

An attached reply counts as the parent's reply (engagement, a ParentReplied alert) only when
staff say which of the pupil's parents wrote it; otherwise it is kept on the case as a message
attached, which is evidence but not engagement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from casework.errors import NotFound, Refused
from casework.events import MailQuarantined, ParentReplied
from casework.ports import UnitOfWork
from casework.pupils import known_pupil
from casework.records import InboundRecord, ParentRow, PupilRow, Triage

TRIAGED_SHOWN_FOR = timedelta(days=30)  # the inbox page's "recently triaged" list


@dataclass(frozen=True)
class Triaged:
    message: InboundRecord  # as it was before the triage
    triage: Triage
    upn: str | None  # the case it was attached to (or, dismissed, the case it was about)
    entry_kind: str | None  # the chronology entry made, None when no case was concerned


async def waiting(uow: UnitOfWork) -> list[InboundRecord]:
    async with uow:
        return await uow.quarantine.waiting()


async def recently_triaged(uow: UnitOfWork, now: datetime) -> list[InboundRecord]:
    async with uow:
        return await uow.quarantine.triaged_since(now - TRIAGED_SHOWN_FOR)


async def quarantined_message(uow: UnitOfWork, ref: str) -> InboundRecord:
    async with uow:
        return await _find(uow, ref)


@dataclass(frozen=True)
class Suggestion:
    """A case the message may belong to, and why (for staff to check, never to trust)."""

    upn: str
    pupil_name: str
    why: str


@dataclass(frozen=True)
class TriageView:
    message: InboundRecord
    suggestions: tuple[Suggestion, ...]
    pupil: PupilRow | None  # the pupil staff named, to confirm before attaching
    parents: tuple[ParentRow, ...]  # that pupil's parents: which one wrote it?


async def triage_view(uow: UnitOfWork, ref: str, upn: str | None = None) -> TriageView:
    """One message with the cases it may belong to; with `upn`, that pupil and parents."""
    async with uow:
        message = await _find(uow, ref)
        found = await _suggestions(uow, message)
        pupil = await known_pupil(uow, upn.strip().upper()) if upn else None
        parents = tuple(await uow.registry.parents_of(pupil.upn)) if pupil else ()
    return TriageView(message, found, pupil, parents)


async def _suggestions(uow: UnitOfWork, message: InboundRecord) -> tuple[Suggestion, ...]:
    found: dict[str, Suggestion] = {}
    ours = await uow.mail.email_by_id(message.outgoing_id) if message.outgoing_id else None
    if ours is not None:
        why = f"it answers our email to {ours.recipient} ({ours.template.replace('_', ' ')})"
        found[ours.upn] = Suggestion(ours.upn, await _name(uow, ours.upn), why)
    if message.from_address:
        for parent_id in await uow.registry.parents_with_email(message.from_address):
            parent = await uow.registry.parent(parent_id)
            if parent is not None and parent.upn not in found:
                why = f"the sender's address is on file for {parent.name} ({parent.parent_id})"
                found[parent.upn] = Suggestion(parent.upn, await _name(uow, parent.upn), why)
    return tuple(found.values())


async def _name(uow: UnitOfWork, upn: str) -> str:
    pupil = await uow.registry.pupil(upn)
    return f"{pupil.first_name} {pupil.last_name}" if pupil else upn


async def _find(uow: UnitOfWork, ref: str) -> InboundRecord:
    """A message by its number in the inbox (`mail quarantine` lists it) or its Message-ID."""
    ref = ref.strip()
    if ref.isdigit():
        found = await uow.quarantine.message(int(ref))
    else:
        found = await uow.mail.inbound_by_message_id(f"<{ref.strip('<>')}>")
    if found is None:
        raise NotFound(f"no message {ref} was received: `mail quarantine` lists those waiting")
    return found


def _waiting(message: InboundRecord) -> None:
    if message.triage is not None:
        raise Refused(
            f"message {message.id} was already {message.triage} by {message.triaged_by}: "
            "nothing was done"
        )
    if not message.quarantined:
        raise Refused(f"message {message.id} is not in quarantine: it is on {message.upn}'s case")


def _reason(reason: str) -> str:
    if not reason.strip():
        raise Refused("--reason: say why (the chronology and the audit log keep it)")
    return reason.strip()


async def _settle(
    uow: UnitOfWork,
    message: InboundRecord,
    triage: Triage,
    by: str,
    why: str,
    now: datetime,
    upn: str | None = None,
    parent_id: str | None = None,
) -> None:
    if not await uow.quarantine.settle(message.id, triage, by, why, now, upn, parent_id):
        raise Refused(f"message {message.id} was triaged by someone else meanwhile: reload")


def _details(message: InboundRecord, why: str) -> dict[str, object]:
    return {
        "inbound_id": message.id,
        "message_id": message.message_id,
        "from": message.from_address,
        "subject": message.subject,
        "class": message.mail_class,
        "sha256": message.sha256,
        "quarantine_reason": message.reason,
        "reason": why,
    }


async def _check_parent(uow: UnitOfWork, upn: str, parent_id: str, message: InboundRecord) -> None:
    """The parent staff say wrote the message: one of this pupil's, and only for a reply."""
    if message.mail_class not in ("reply", "auto_reply"):
        raise Refused(
            f"message {message.id} is a {message.mail_class}, not a parent's reply: "
            "attach it without --parent"
        )
    parents = {p.parent_id: p for p in await uow.registry.parents_of(upn)}
    if parent_id not in parents:
        known = ", ".join(sorted(parents)) or "none on record"
        raise Refused(f"--parent: {parent_id} is not a parent of {upn} ({known})")


def _attached_entry(message: InboundRecord, parent_id: str | None) -> tuple[str, str]:
    """The chronology entry: the parent's reply (or auto-reply) once staff say who wrote it."""
    sender = message.from_address or "an unknown sender"
    if parent_id is not None and message.mail_class == "reply":
        return "parent_replied", f"Reply from the parent ({sender}): {message.subject or ''}"
    if parent_id is not None:
        return "auto_reply", f"Automatic reply (not engagement) from {sender}"
    return "mail_attached", f"Email from {sender} attached: {message.subject or '(no subject)'}"


async def attach_message(
    uow: UnitOfWork,
    ref: str,
    upn: str,
    reason: str,
    by: str,
    now: datetime,
    parent_id: str | None = None,
) -> Triaged:
    """File a quarantined message to `upn`'s case, with the reason; with `parent_id`, as that
    parent's reply (which raises ParentReplied like a reply that matched by itself)."""
    why, upn = _reason(reason), upn.strip().upper()
    async with uow:
        message = await _find(uow, ref)
        _waiting(message)
        await known_pupil(uow, upn)
        if parent_id is not None:
            await _check_parent(uow, upn, parent_id, message)
        await _settle(uow, message, Triage.ATTACHED, by, why, now, upn, parent_id)
        kind, summary = _attached_entry(message, parent_id)
        details = {**_details(message, why), "parent_id": parent_id, "attached_by": by}
        await uow.cases.add_entry(
            upn,
            now.date(),
            kind,
            by,
            f"{summary.strip()} (attached from the quarantine: {why})",
            details,
            now,
        )
        await uow.audit.append(by, "mail.attached", f"pupil:{upn}", details, now)
        if kind == "parent_replied":
            await uow.outbox.add(await _replied(uow, message, upn, parent_id, now), now)
        await uow.commit()
    return Triaged(message, Triage.ATTACHED, upn, kind)


async def _replied(
    uow: UnitOfWork, message: InboundRecord, upn: str, parent_id: str | None, now: datetime
) -> ParentReplied:
    """The alert, threaded under the notice's when the message answered one of our emails."""
    ours = await uow.mail.email_by_id(message.outgoing_id) if message.outgoing_id else None
    return ParentReplied(
        upn,
        now.date(),
        message.message_id or "",
        parent_id,
        ours.message_id if ours else None,
        message.subject,
        ours.notice_id if ours else None,
    )


async def dismiss_message(
    uow: UnitOfWork, ref: str, reason: str, by: str, now: datetime
) -> Triaged:
    """Set a quarantined message aside with the reason (spam, not ours, a duplicate…). When it
    answered one of our emails, the case that email was about records the dismissal too."""
    why = _reason(reason)
    async with uow:
        message = await _find(uow, ref)
        _waiting(message)
        await _settle(uow, message, Triage.DISMISSED, by, why, now)
        ours = await uow.mail.email_by_id(message.outgoing_id) if message.outgoing_id else None
        details = {**_details(message, why), "dismissed_by": by}
        subject = f"pupil:{ours.upn}" if ours else f"mail:{message.id}"
        if ours is not None:
            summary = (
                f"Email from {message.from_address or 'an unknown sender'} about this case "
                f"dismissed from the quarantine: {why}"
            )
            await uow.cases.add_entry(
                ours.upn, now.date(), "mail_dismissed", by, summary, details, now
            )
        await uow.audit.append(by, "mail.dismissed", subject, details, now)
        await uow.commit()
    return Triaged(
        message, Triage.DISMISSED, ours.upn if ours else None, "mail_dismissed" if ours else None
    )


async def review_quarantine(uow: UnitOfWork, on: date, now: datetime) -> list[MailQuarantined]:
    """Inside the daily review's unit of work: one MailQuarantined a day while mail waits."""
    held = await uow.quarantine.waiting()
    if not held:
        return []
    recent = await uow.outbox.recent(now - timedelta(days=2), limit=1000)
    if any(e.kind == "MailQuarantined" and e.on == on for e in recent):
        return []
    oldest = min(m.received_at for m in held).date()
    return [MailQuarantined("", on, len(held), oldest)]
