"""The mail port of the unit of work: emails queued and sent, printed letters, and mail read
from the inbox (casework.ports names it too)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from casework.records import (
    Accepted,
    Claimed,
    EmailRecord,
    HowDelivered,
    InboundRecord,
    PrintedCopy,
    QueuedEmail,
    SendOutcome,
)


class Mail(Protocol):
    """Emails queued and sent, printed letters, and mail read from the inbox."""

    async def queue(self, email: QueuedEmail) -> int: ...
    async def add_printed(self, copy: PrintedCopy) -> int: ...
    async def claim(self, worker: str, now: datetime, until: datetime, limit: int) -> list[Claimed]:
        """Claim up to `limit` due emails for `worker` (no other worker can claim them)."""
        ...

    async def claimed_by(self, worker: str, on: date) -> list[Claimed]: ...
    async def expired_claims(self, now: datetime) -> list[tuple[str, list[Claimed]]]: ...
    # Each of these keeps the attempt (`outcome`) and ends the worker's claim on the email.
    async def mark_sent(self, accepted: Accepted, worker: str) -> None:
        """The server accepted it: sent, with its reply and queue id."""
        ...

    async def record_sent(self, accepted: Sequence[Accepted], worker: str) -> None:
        """`mark_sent` for a whole batch, in a couple of statements."""
        ...

    async def retry_later(
        self, outcome: SendOutcome, worker: str, attempts: int, next_attempt_at: datetime
    ) -> None:
        """A temporary refusal: back to the queue until `next_attempt_at`."""
        ...

    async def mark_failed(
        self, outcome: SendOutcome, worker: str, attempts: int, failure: str
    ) -> None:
        """Given up on (or bounced after it was sent): failed, with the reason staff read."""
        ...

    async def requeue(self, outcome: SendOutcome, worker: str) -> None:
        """A dead worker never began sending it: back to the queue as it was."""
        ...

    async def email(self, message_id: str) -> EmailRecord | None: ...
    async def email_by_id(self, mail_id: int) -> EmailRecord | None: ...
    async def email_by_token(self, token: str) -> EmailRecord | None: ...
    async def emails_for(self, upn: str) -> list[EmailRecord]: ...
    async def printed_for(self, upn: str) -> list[PrintedCopy]: ...
    async def printed(self, printed_id: int) -> PrintedCopy | None: ...
    async def printed_delivered(
        self, printed_id: int, how: HowDelivered, on: date, by: str, deemed_received_on: date
    ) -> None: ...
    async def attempts(self, mail_id: int) -> list[SendOutcome]: ...
    async def counts(self, schools: Collection[str] | None = None) -> dict[str, int]:
        """The emails in each state: all of them, or those about the pupils of `schools`."""
        ...

    async def emails_by_tokens(self, tokens: Iterable[str]) -> dict[str, EmailRecord]:
        """The emails whose reply or bounce address carries one of these tokens, by token."""
        ...

    async def emails_by_message_ids(self, message_ids: Iterable[str]) -> dict[str, EmailRecord]:
        """The emails with these Message-IDs, keyed `<id>` (given with or without brackets)."""
        ...

    async def add_inbound(self, record: InboundRecord) -> int | None:
        """Store a message read from the inbox; None when these bytes were stored before."""
        ...

    async def add_inbound_many(self, records: Sequence[InboundRecord]) -> set[str]:
        """`add_inbound` for a batch in one statement: the sha256s actually stored (bytes
        stored before, by anyone, are skipped)."""
        ...

    async def inbound_stored(self, sha256s: Iterable[str]) -> set[str]:
        """Which of these bytes are stored already."""
        ...

    async def inbound_counts(
        self, since: datetime, senders: Iterable[str], upns: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """`inbound_count` for many senders (keyed lower-case) and many cases at once."""
        ...

    async def inbound(self, upn: str | None = None) -> list[InboundRecord]: ...
    async def inbound_count(
        self, since: datetime, *, upn: str | None = None, sender: str | None = None
    ) -> int:
        """Messages filed to a case (not quarantined) since `since`, for this case or from
        this sender address (compared without case)."""
        ...

    async def inbound_by_message_id(self, message_id: str) -> InboundRecord | None: ...
    async def mailbox_state(self, mailbox: str) -> tuple[int, int] | None: ...
    async def save_mailbox_state(
        self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> None: ...
