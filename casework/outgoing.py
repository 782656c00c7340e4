"""Sending the queued emails: claim a batch, hand each to the mail server, record what it said.

Every email is in exactly one known state at every moment (DESIGN.md principle 1):
- `queued`: not yet handed over (or handed over and refused with a temporary error);
- `sending`: claimed by one worker; that worker's journal says, per email, whether it began
  the SMTP transaction and what the server answered;
- `sent` (the server accepted it, with its reply and queue id) or `failed` (with the reason,
  and an alert to staff).
After a crash the dead worker's journal settles its claims: an email the worker never began
goes back to the queue; one it finished is recorded as the server answered; one it began and
did not finish may have been delivered, so it is failed with an alert rather than sent twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from attendance.service import UK, email_deemed_received
from casework.events import DiskFull, EmailFailed, NoticeNotServed
from casework.letters import TITLES
from casework.notice_service import replan_on_delivery, replan_sent
from casework.ports import Evidence, UnitOfWork
from casework.records import Accepted, Claimed, EmailRecord, SendOutcome

# After a temporary failure (4xx, connection lost) try again after these delays; after the
# last, give up and alert staff (RFC 5321 suggests giving up after 4-5 days; a support letter
# that is a day late is better sent another way).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
LEASE = timedelta(minutes=15)
DISK_FULL_QUIET = timedelta(hours=1)
UNCERTAIN = (
    "the sender stopped while handing this email to the mail server, so it may or may not "
    "have been delivered; it has not been sent again: check with the parent, then send it "
    "another way or again"
)


@dataclass(frozen=True)
class JournalEntry:
    began: bool
    outcome: SendOutcome | None = None


class Journal(Protocol):
    """A worker's own record of the transactions it began and finished (survives SIGKILL).
    Each method raises OSError when the journal cannot be written (a full disk)."""

    def open_batch(self, mail_ids: Sequence[int]) -> None:
        """Write and sync a record naming the batch, before any SMTP I/O: proof that the
        journal can be written (blocking)."""
        ...

    def began(self, mail_id: int) -> None: ...
    def sync(self) -> None:
        """Make what was written durable (blocking: the sender runs it in a thread)."""
        ...

    def finished(self, outcome: SendOutcome) -> None: ...


class Journals(Protocol):
    def dead(self) -> list[str]:
        """Workers on this machine whose process has gone, leaving a journal."""
        ...

    def alive(self, worker: str) -> bool | None:
        """True or False for a worker on this machine; None when it is not ours to know."""
        ...

    def read(self, worker: str) -> dict[int, JournalEntry]: ...
    def discard(self, worker: str) -> None: ...


class Transport(Protocol):
    async def send(
        self, batch: Sequence[tuple[Claimed, bytes]], journal: Journal
    ) -> list[SendOutcome]:
        """Hand each message to the server; one outcome per message, in any order."""
        ...


@dataclass(frozen=True)
class BatchReport:
    claimed: int
    sent: int
    retrying: int
    failed: int
    sent_sha256: tuple[str, ...] = field(default=(), compare=False)  # for a Sent-folder copy
    journal_error: str | None = None  # the journal could not be written: nothing was sent


async def _fail(uow: UnitOfWork, c: Claimed, o: SendOutcome, reason: str, worker: str) -> None:
    on = o.at.date()
    await uow.mail.mark_failed(o, worker, c.attempts + 1, reason)
    title = TITLES.get(c.template, c.template)
    if c.formal:
        event: EmailFailed | NoticeNotServed = NoticeNotServed(
            c.upn, on, c.notice_id, c.message_id, c.parent_id, c.template, reason
        )
        kind, summary = "notice_not_served", f"{title} by email was NOT served: {reason}"
    else:
        event = EmailFailed(c.upn, on, c.message_id, c.parent_id, c.template, reason)
        kind, summary = "email_failed", f"{title} by email to {c.recipient} failed: {reason}"
    if c.notice_id is not None:
        await uow.cases.delivery_failed(c.message_id)
    details = {"message_id": c.message_id, "parent_id": c.parent_id, "reason": reason}
    await uow.cases.add_entry(c.upn, on, kind, "supportfirst", summary, details, o.at)
    await uow.outbox.add(event, o.at)


async def apply_outcome(uow: UnitOfWork, c: Claimed, o: SendOutcome, worker: str) -> str:
    """Record one outcome inside an open unit of work; returns the email's new state."""
    reply = f"{o.code} {o.text}" if o.code else (o.text or "")
    if o.outcome == "sent":
        received = email_deemed_received(o.at)
        await uow.mail.mark_sent(
            Accepted(outcome=o, attempts=c.attempts + 1, deemed_received_on=received), worker
        )
        if c.notice_id is not None:
            await uow.cases.delivery_sent(c.message_id, received)
            await replan_on_delivery(uow, c.notice_id, o.at.astimezone(UK).date(), o.at)
        return "sent"
    if o.outcome == "not_begun":  # never handed over (the journal failed first): as it was
        await uow.mail.requeue(o, worker)
        return "queued"
    if o.outcome == "temporary" and c.attempts < len(RETRY_DELAYS):
        await uow.mail.retry_later(o, worker, c.attempts + 1, o.at + RETRY_DELAYS[c.attempts])
        return "queued"
    reason = {
        "temporary": f"the mail server kept refusing it ({reply}); gave up after "
        f"{c.attempts + 1} attempts",
        "permanent": f"the mail server refused it: {reply}",
        "consent_withdrawn": "the parent's consent to email was withdrawn before it was sent",
        "uncertain": UNCERTAIN,
        "corrupt": f"its stored bytes no longer match their SHA-256: {reply}",
    }.get(o.outcome, reply)
    await _fail(uow, c, o, reason, worker)
    return "failed"


async def claim_batch(
    uow: UnitOfWork, worker: str, now: datetime, limit: int
) -> tuple[list[Claimed], int]:
    """Claim due emails: those to send, and how many failed here, unsent, because their
    consent is no longer in force."""
    async with uow:
        claimed = await uow.mail.claim(worker, now, now + LEASE, limit)
        ready = []
        for c in claimed:
            if c.consent_in_force:
                ready.append(c)
            else:
                await apply_outcome(uow, c, SendOutcome(c.id, "consent_withdrawn", now), worker)
        await uow.commit()
    return ready, len(claimed) - len(ready)


async def record_batch(
    uow: UnitOfWork, worker: str, batch: Sequence[Claimed], outcomes: Sequence[SendOutcome]
) -> BatchReport:
    by_id = {c.id: c for c in batch}
    counts = {"sent": 0, "queued": 0, "failed": 0}
    accepted = [o for o in outcomes if o.outcome == "sent"]
    async with uow:
        # The common case in bulk: every accepted email of the batch in two statements.
        await uow.mail.record_sent(
            [
                Accepted(
                    outcome=o,
                    attempts=by_id[o.mail_id].attempts + 1,
                    deemed_received_on=email_deemed_received(o.at),
                )
                for o in accepted
            ],
            worker,
        )
        serving: list[tuple[int, str, datetime]] = []  # (notice, message id, accepted at)
        for o in accepted:
            if (notice_id := by_id[o.mail_id].notice_id) is not None:
                serving.append((notice_id, by_id[o.mail_id].message_id, o.at))
        for _, message_id, at in serving:
            await uow.cases.delivery_sent(message_id, email_deemed_received(at))
        # The period runs from the last parent's receipt: re-planned as they come in.
        await replan_sent(uow, [(notice_id, at) for notice_id, _, at in serving])
        counts["sent"] = len(accepted)
        for o in outcomes:
            if o.outcome != "sent":
                counts[await apply_outcome(uow, by_id[o.mail_id], o, worker)] += 1
        await uow.commit()
    sent = tuple(by_id[o.mail_id].sha256 for o in accepted)
    return BatchReport(len(batch), counts["sent"], counts["queued"], counts["failed"], sent)


async def settle_dead_workers(
    new_uow: Callable[[], UnitOfWork], journals: Journals, now: datetime
) -> int:
    """Settle the claims of workers that died (see the module docstring); returns how many."""
    settled = 0
    dead = set(journals.dead())
    async with new_uow() as uow:
        expired = {w for w, _ in await uow.mail.expired_claims(now)}
    for worker in sorted(dead | {w for w in expired if journals.alive(w) is None}):
        entries = journals.read(worker) if worker in dead else {}
        async with new_uow() as uow:
            for c in await uow.mail.claimed_by(worker, now.date()):
                entry = entries.get(c.id)
                if entry is not None and entry.outcome is not None:
                    await apply_outcome(uow, c, entry.outcome, worker)
                elif entry is not None or worker not in dead:
                    # Began and never finished, or a worker elsewhere we cannot ask.
                    await apply_outcome(uow, c, SendOutcome(c.id, "uncertain", now), worker)
                else:
                    await uow.mail.requeue(SendOutcome(c.id, "not_begun", now), worker)
                settled += 1
            await uow.commit()
        if worker in dead:
            journals.discard(worker)
    return settled


@dataclass(frozen=True)
class PreparedBatch:
    """A claimed batch, its stored bytes read and checked, the journal proven writable."""

    batch: list[Claimed]
    withdrawn: int  # failed unsent at the claim: consent no longer in force
    items: list[tuple[Claimed, bytes]]
    spoilt: list[SendOutcome]  # bytes missing or changed: never sent


async def prepare_batch(
    new_uow: Callable[[], UnitOfWork],
    evidence: Evidence,
    journal: Journal,
    worker: str,
    clock: Callable[[], datetime],
    batch_size: int,
) -> PreparedBatch | BatchReport | None:
    """Claim and read a batch; a report instead when there is nothing to send (None: idle)."""
    batch, withdrawn = await claim_batch(new_uow(), worker, clock(), batch_size)
    if not batch:
        return BatchReport(withdrawn, 0, 0, withdrawn) if withdrawn else None
    items: list[tuple[Claimed, bytes]] = []
    spoilt: list[SendOutcome] = []
    for c in batch:
        try:
            raw = evidence.get(c.sha256)
        except LookupError as e:
            spoilt.append(SendOutcome(c.id, "corrupt", clock(), text=str(e)))
            continue
        if hashlib.sha256(raw).hexdigest() == c.sha256:
            items.append((c, raw))
        else:  # never send bytes other than those kept as evidence
            spoilt.append(SendOutcome(c.id, "corrupt", clock(), text=f"evidence {c.sha256}"))
    try:
        if items:
            await asyncio.to_thread(journal.open_batch, [c.id for c, _ in items])
    except OSError as e:
        return await _journal_unwritable(new_uow(), worker, batch, e, clock())
    return PreparedBatch(batch, withdrawn, items, spoilt)


async def finish_batch(
    new_uow: Callable[[], UnitOfWork],
    worker: str,
    prepared: PreparedBatch,
    outcomes: Sequence[SendOutcome],
    clock: Callable[[], datetime],
) -> BatchReport:
    """Record what the server said about a prepared batch."""
    report = await record_batch(new_uow(), worker, prepared.batch, [*outcomes, *prepared.spoilt])
    error = next((o.text for o in outcomes if o.outcome == "not_begun"), None)
    if error is not None:
        left = sum(o.outcome == "not_begun" for o in outcomes)
        async with new_uow() as uow:
            await _disk_full(uow, worker, error, left, clock())
            await uow.commit()
    return replace(
        report,
        claimed=report.claimed + prepared.withdrawn,
        failed=report.failed + prepared.withdrawn,
        journal_error=error,
    )


async def send_due(
    new_uow: Callable[[], UnitOfWork],
    evidence: Evidence,
    transport: Transport,
    journal: Journal,
    worker: str,
    clock: Callable[[], datetime],
    batch_size: int = 50,
) -> BatchReport | None:
    """One batch: claim, send the stored bytes (never re-rendered), record. None if idle."""
    prepared = await prepare_batch(new_uow, evidence, journal, worker, clock, batch_size)
    if not isinstance(prepared, PreparedBatch):
        return prepared
    outcomes = await transport.send(prepared.items, journal) if prepared.items else []
    return await finish_batch(new_uow, worker, prepared, outcomes, clock)


def journal_error(e: OSError) -> str:
    """What a journal write failure says, as staff see it in the DiskFull alert."""
    return f"{e.strerror or e} ({e.filename or 'the send journal'})"


async def _disk_full(uow: UnitOfWork, worker: str, error: str, left: int, now: datetime) -> None:
    recent = await uow.outbox.recent(now - DISK_FULL_QUIET, limit=1000)
    if not any(p.kind == "DiskFull" for p in recent):
        await uow.outbox.add(DiskFull("", now.date(), worker, error, left), now)


async def _journal_unwritable(
    uow: UnitOfWork, worker: str, batch: Sequence[Claimed], e: OSError, now: datetime
) -> BatchReport:
    """Nothing was handed over: every email of the batch goes back to the queue as it was,
    and staff hear of it once an hour at most (the loop retries every few seconds)."""
    error = journal_error(e)
    async with uow:
        for c in batch:
            await uow.mail.requeue(SendOutcome(c.id, "not_begun", now, text=error), worker)
        await _disk_full(uow, worker, error, len(batch), now)
        await uow.commit()
    return BatchReport(len(batch), 0, len(batch), 0, journal_error=error)


async def mark_bounced(uow: UnitOfWork, email: EmailRecord, reason: str, at: datetime) -> None:
    """A bounce for an email the server had accepted: it was not delivered after all."""
    claim = Claimed(
        id=email.id,
        message_id=email.message_id,
        upn=email.upn,
        parent_id=email.parent_id,
        template=email.template,
        notice_id=email.notice_id,
        formal=email.formal,
        recipient=email.recipient,
        envelope_from=email.envelope_from,
        sha256=email.sha256,
        attempts=email.attempts - 1,  # _fail counts an attempt; a bounce is not a new one
        consent_in_force=True,
    )
    await _fail(
        uow, claim, SendOutcome(email.id, "bounced", at, None, reason[:500]), reason, "ingester"
    )
