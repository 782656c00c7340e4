"""In-memory fakes for the mail side: the Mail repository and a Postroom."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from attendance.consent import ConsentRecord
from casework.letters import Letter
from casework.records import (
    Accepted,
    Claimed,
    EmailRecord,
    EmailState,
    HowDelivered,
    InboundRecord,
    PrintedCopy,
    QueuedEmail,
    SendOutcome,
    Triage,
)
from casework.sending import Mailroom, Printable
from mail.letters import LetterRenderer


@dataclass
class FakeMail:
    consent_records: list[ConsentRecord]
    emails: list[EmailRecord] = field(default_factory=list)
    printed_copies: list[PrintedCopy] = field(default_factory=list)
    attempt_log: list[tuple[SendOutcome, str]] = field(default_factory=list)
    claims_until: dict[int, datetime] = field(default_factory=dict)
    due: dict[int, datetime] = field(default_factory=dict)
    received: list[InboundRecord] = field(default_factory=list)
    states: dict[str, tuple[int, int]] = field(default_factory=dict)
    pupils: dict[str, dict[str, Any]] = field(default_factory=dict)  # the registry's

    async def queue(self, email: QueuedEmail) -> int:
        mail_id = len(self.emails) + 1
        self.emails.append(
            EmailRecord(
                id=mail_id,
                **asdict(email),
                state=EmailState.QUEUED,
                attempts=0,
                sent_at=None,
                failed_at=None,
                smtp_code=None,
                smtp_text=None,
                queue_id=None,
                failure=None,
                deemed_received_on=None,
            )
        )
        self.due[mail_id] = email.queued_at
        return mail_id

    async def add_printed(self, copy: PrintedCopy) -> int:
        self.printed_copies.append(replace(copy, id=len(self.printed_copies) + 1))
        return len(self.printed_copies)

    def _claimed(self, e: EmailRecord, on: date) -> Claimed:
        consent = next(c for c in self.consent_records if c.id == e.consent_id)
        values = {k: v for k, v in asdict(e).items() if k in Claimed.__dataclass_fields__}
        return Claimed(**values, consent_in_force=consent.in_force(on))

    async def claim(self, worker: str, now: datetime, until: datetime, limit: int) -> list[Claimed]:
        queued = [e for e in self.emails if e.state == EmailState.QUEUED and self.due[e.id] <= now]
        # Oldest due first, as the store claims them.
        due = sorted(queued, key=lambda e: (self.due[e.id], e.id))[:limit]
        for e in due:
            self._set(e.id, state=EmailState.SENDING, claimed_by=worker)
            self.claims_until[e.id] = until
        return [self._claimed(self.emails[e.id - 1], now.date()) for e in due]

    async def claimed_by(self, worker: str, on: date) -> list[Claimed]:
        return [
            self._claimed(e, on)
            for e in self.emails
            if e.state == EmailState.SENDING and e.claimed_by == worker
        ]

    async def expired_claims(self, now: datetime) -> list[tuple[str, list[Claimed]]]:
        workers = sorted(
            {
                e.claimed_by
                for e in self.emails
                if e.state == EmailState.SENDING and e.claimed_by and self.claims_until[e.id] < now
            }
        )
        return [(w, await self.claimed_by(w, now.date())) for w in workers]

    def _set(self, mail_id: int, **changes: Any) -> None:
        self.emails[mail_id - 1] = replace(self.emails[mail_id - 1], **changes)

    def _record(self, outcome: SendOutcome, worker: str, **changes: Any) -> None:
        """Keep the attempt and apply what it did to the email (its claim ends)."""
        self.attempt_log.append((outcome, worker))
        self.claims_until.pop(outcome.mail_id, None)
        self._set(outcome.mail_id, claimed_by=None, **changes)

    async def mark_sent(self, accepted: Accepted, worker: str) -> None:
        o = accepted.outcome
        self._record(
            o,
            worker,
            state=EmailState.SENT,
            sent_at=o.at,
            attempts=accepted.attempts,
            smtp_code=o.code,
            smtp_text=o.text,
            queue_id=o.queue_id,
            deemed_received_on=accepted.deemed_received_on,
        )

    async def record_sent(self, accepted: Sequence[Accepted], worker: str) -> None:
        for a in accepted:
            await self.mark_sent(a, worker)

    async def retry_later(
        self, outcome: SendOutcome, worker: str, attempts: int, next_attempt_at: datetime
    ) -> None:
        self.due[outcome.mail_id] = next_attempt_at
        self._record(
            outcome,
            worker,
            state=EmailState.QUEUED,
            attempts=attempts,
            smtp_code=outcome.code,
            smtp_text=outcome.text,
        )

    async def mark_failed(
        self, outcome: SendOutcome, worker: str, attempts: int, failure: str
    ) -> None:
        self._record(
            outcome,
            worker,
            state=EmailState.FAILED,
            failed_at=outcome.at,
            attempts=attempts,
            failure=failure,
            smtp_code=outcome.code,
            smtp_text=outcome.text,
        )

    async def requeue(self, outcome: SendOutcome, worker: str) -> None:
        self._record(outcome, worker, state=EmailState.QUEUED)

    async def email(self, message_id: str) -> EmailRecord | None:
        bare = message_id.strip().strip("<>")
        return next((e for e in self.emails if e.message_id == f"<{bare}>"), None)

    async def email_by_id(self, mail_id: int) -> EmailRecord | None:
        return self.emails[mail_id - 1] if 0 < mail_id <= len(self.emails) else None

    async def email_by_token(self, token: str) -> EmailRecord | None:
        return next((e for e in self.emails if e.token == token.lower()), None)

    async def emails_by_tokens(self, tokens: Iterable[str]) -> dict[str, EmailRecord]:
        wanted = {t.lower() for t in tokens}
        found: dict[str, EmailRecord] = {}
        for e in self.emails:
            if e.token in wanted:
                found.setdefault(e.token, e)
        return found

    async def emails_by_message_ids(self, message_ids: Iterable[str]) -> dict[str, EmailRecord]:
        wanted = {f"<{m.strip().strip('<>')}>" for m in message_ids}
        found: dict[str, EmailRecord] = {}
        for e in self.emails:
            if e.message_id in wanted:
                found.setdefault(e.message_id, e)
        return found

    async def emails_for(self, upn: str) -> list[EmailRecord]:
        return [e for e in self.emails if e.upn == upn]

    async def printed_for(self, upn: str) -> list[PrintedCopy]:
        return [p for p in self.printed_copies if p.upn == upn]

    async def printed(self, printed_id: int) -> PrintedCopy | None:
        return next((p for p in self.printed_copies if p.id == printed_id), None)

    async def printed_delivered(
        self, printed_id: int, how: HowDelivered, on: date, by: str, deemed_received_on: date
    ) -> None:
        self.printed_copies = [
            replace(
                p,
                delivered_how=how,
                delivered_on=on,
                delivered_by=by,
                deemed_received_on=deemed_received_on,
            )
            if p.id == printed_id
            else p
            for p in self.printed_copies
        ]

    async def attempts(self, mail_id: int) -> list[SendOutcome]:
        # The store keeps no queue id with an attempt (the email has it).
        return [replace(o, queue_id=None) for o, _ in self.attempt_log if o.mail_id == mail_id]

    async def counts(self, schools: Collection[str] | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.emails:
            if schools is not None and self.pupils.get(e.upn, {}).get("school_urn") not in schools:
                continue
            counts[e.state] = counts.get(e.state, 0) + 1
        return counts

    async def add_inbound(self, record: InboundRecord) -> int | None:
        if any(r.sha256 == record.sha256 for r in self.received):
            return None
        self.received.append(replace(record, id=len(self.received) + 1))
        return len(self.received)

    async def add_inbound_many(self, records: Sequence[InboundRecord]) -> set[str]:
        return {r.sha256 for r in records if await self.add_inbound(r) is not None}

    async def inbound_stored(self, sha256s: Iterable[str]) -> set[str]:
        return set(sha256s) & {r.sha256 for r in self.received}

    async def inbound_counts(
        self, since: datetime, senders: Iterable[str], upns: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        by_sender = {s.lower(): await self.inbound_count(since, sender=s) for s in senders}
        by_case = {u: await self.inbound_count(since, upn=u) for u in upns}
        return by_sender, by_case

    async def inbound(self, upn: str | None = None) -> list[InboundRecord]:
        return [r for r in self.received if upn is None or r.upn == upn]

    async def inbound_count(
        self, since: datetime, *, upn: str | None = None, sender: str | None = None
    ) -> int:
        return sum(
            1
            for r in self.received
            if r.received_at >= since
            and not r.quarantined
            and (upn is None or r.upn == upn)
            and (sender is None or (r.from_address or "").lower() == sender.lower())
        )

    async def inbound_by_message_id(self, message_id: str) -> InboundRecord | None:
        return next((r for r in self.received if r.message_id == message_id), None)

    async def mailbox_state(self, mailbox: str) -> tuple[int, int] | None:
        return self.states.get(mailbox)

    async def save_mailbox_state(
        self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> None:
        self.states[mailbox] = (uidvalidity, last_uid)


@dataclass
class FakeQuarantine:
    """The quarantine over FakeMail's received list (the same list: one inbox)."""

    received: list[InboundRecord]

    async def waiting(self) -> list[InboundRecord]:
        return [r for r in self.received if r.quarantined and r.triage is None]

    async def triaged_since(self, since: datetime) -> list[InboundRecord]:
        done = [r for r in self.received if r.triaged_at is not None and r.triaged_at >= since]
        return sorted(done, key=lambda r: (r.triaged_at, r.id), reverse=True)

    async def message(self, inbound_id: int) -> InboundRecord | None:
        return next((r for r in self.received if r.id == inbound_id), None)

    async def settle(
        self,
        inbound_id: int,
        triage: Triage,
        by: str,
        reason: str,
        at: datetime,
        upn: str | None = None,
        parent_id: str | None = None,
    ) -> bool:
        for i, r in enumerate(self.received):
            if r.id == inbound_id and r.quarantined and r.triage is None:
                settled = replace(
                    r, triage=triage, triaged_by=by, triaged_at=at, triage_reason=reason
                )
                if triage is Triage.ATTACHED:
                    settled = replace(settled, upn=upn, parent_id=parent_id, quarantined=False)
                self.received[i] = settled
                return True
        return False


@dataclass(frozen=True)
class FakeComposed:
    raw: bytes
    sha256: str
    message_id: str
    token: str
    envelope_from: str
    recipient: str


@dataclass
class FakePostroom:
    """Emails are the letter's text; printed copies are the letter's HTML."""

    made: int = 0

    def email(
        self,
        letter: Letter,
        from_name: str,
        to_name: str,
        to_address: str,
        now: datetime,
        attachment: Printable | None,
    ) -> FakeComposed:
        self.made += 1
        token = f"tok{self.made}"
        raw = f"To: {to_name} <{to_address}>\r\nSubject: {letter.subject}\r\n\r\n{letter.text}"
        if attachment is not None:
            raw += f"\r\n[attached {attachment.filename}]"
        data = raw.encode()
        return FakeComposed(
            data,
            hashlib.sha256(data).hexdigest(),
            f"<{token}@school.test>",
            token,
            f"attendance+bounce-{token}@school.test",
            to_address,
        )

    def printable(self, letter: Letter, name: str, now: datetime) -> Printable:
        return Printable(letter.html.encode(), "text/html", name)


def fake_mailroom(evidence: Any = None) -> Mailroom:
    """The real letter templates, fake bytes and an in-memory evidence store."""
    from tests.fakes import FakeEvidence

    return Mailroom(LetterRenderer(), FakePostroom(), evidence or FakeEvidence())
