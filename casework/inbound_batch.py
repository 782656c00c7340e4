"""What the store knows that a batch of inbound messages needs, read in a few set-based
statements before any message is decided (casework/inbound.py): the emails of ours their tokens
and In-Reply-To/References name, the parents' addresses on file, which bytes are filed already,
the last hour's counts per sender and per case, and each case's alerts of the kinds a message
may raise. Deciding a message updates the counts and alerts here, so the next message of the
same batch sees it as it would have seen it in the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from attendance.consent import address_key
from casework.mail_trust import ALERT_QUIET, RATE_WINDOW
from casework.ports import UnitOfWork
from casework.records import EmailRecord

ALERTING = ("parent_replied", "bounce_unverified")  # the entries that may raise an alert


class Looked(Protocol):
    """What of a reading the look-ups need (casework.inbound.Reading has it)."""

    @property
    def mail_class(self) -> str: ...
    @property
    def from_address(self) -> str | None: ...
    @property
    def references(self) -> tuple[str, ...]: ...
    @property
    def reply_tokens(self) -> tuple[str, ...]: ...
    @property
    def bounce_tokens(self) -> tuple[str, ...]: ...


def _tokens(r: Looked) -> tuple[str, ...]:
    return r.bounce_tokens + r.reply_tokens if r.mail_class == "bounce" else r.reply_tokens


def _message_id(ref: str) -> str:
    return f"<{ref.strip().strip('<>')}>"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def counted_sender(r: Looked) -> str:
    """Whose hourly count a message is in ("" for none): bounces come from a few shared
    mail-system addresses, so only their case is counted."""
    return (r.from_address or "").lower() if r.mail_class != "bounce" else ""


@dataclass
class Known:
    by_token: dict[str, EmailRecord]
    by_message_id: dict[str, EmailRecord]
    addresses: dict[str, set[str]]  # parent id -> address keys on file (consents, parent)
    stored: set[str]  # sha256s filed already (or earlier in this batch)
    from_sender: Counter[str]  # filed to a case in the last hour, by sender (lower case)
    for_case: Counter[str]  # filed to a case in the last hour, by UPN
    alerts: dict[tuple[str, str], list[tuple[datetime, object]]] = field(default_factory=dict)

    def email_for(self, r: Looked) -> EmailRecord | None:
        """The email a message answers: by a token of ours, then by In-Reply-To/References."""
        for token in _tokens(r):
            if (email := self.by_token.get(token.lower())) is not None:
                return email
        for ref in r.references:
            if (email := self.by_message_id.get(_message_id(ref))) is not None:
                return email
        return None

    def parent_addresses(self, email: EmailRecord) -> set[str]:
        return {address_key(email.recipient)} | self.addresses.get(email.parent_id, set())

    def first_time(self, sha256: str) -> bool:
        """True the first time these bytes are seen, in the store or in this batch."""
        new = sha256 not in self.stored
        self.stored.add(sha256)
        return new

    def filed_to(self, upn: str, r: Looked) -> None:
        """A message of this batch filed to `upn`'s case: in the next ones' hourly counts (by
        its From, whatever its class, as the store counts rows)."""
        self.for_case[upn] += 1
        if r.from_address:
            self.from_sender[r.from_address.lower()] += 1

    def alert_due(self, upn: str, kind: str, now: datetime) -> tuple[bool, int]:
        """Whether an entry of `kind` on this case may raise its alert now (one an hour), and
        how many were held back since the last alert (counted, and said in the next one). The
        entry is then counted as made, alerted or not."""
        entries = self.alerts.setdefault((upn, kind), [])
        alerted = [_aware(at) for at, a in entries if a is True]
        last = max(alerted, default=None)
        if last is not None and _aware(now) - last < ALERT_QUIET:
            entries.append((now, False))
            return False, 0
        held = sum(1 for at, a in entries if a is False and (last is None or _aware(at) >= last))
        entries.append((now, True))
        return True, held


async def look_up(
    uow: UnitOfWork, readings: Sequence[Looked], sha256s: Sequence[str], now: datetime
) -> Known:
    """Everything the batch's decisions read, in about eight statements whatever its size."""
    by_token = await uow.mail.emails_by_tokens({t.lower() for r in readings for t in _tokens(r)})
    refs = {_message_id(ref) for r in readings for ref in r.references}
    known = Known(
        by_token,
        await uow.mail.emails_by_message_ids(refs),
        {},
        await uow.mail.inbound_stored(sha256s),
        Counter(),
        Counter(),
    )
    emails = [e for r in readings if (e := known.email_for(r)) is not None]
    parents = {e.parent_id for e in emails}
    for pid, consents in (await uow.consents.for_parents(parents)).items():
        known.addresses.setdefault(pid, set()).update(address_key(c.email) for c in consents)
    for pid, address in (await uow.registry.parent_emails(parents)).items():
        if address:
            known.addresses.setdefault(pid, set()).add(address_key(address))
    upns = {e.upn for e in emails}
    senders = {s for r in readings if (s := counted_sender(r))}
    by_sender, by_case = await uow.mail.inbound_counts(now - RATE_WINDOW, senders, upns)
    known.from_sender.update(by_sender)
    known.for_case.update(by_case)
    for upn, entries in (await uow.cases.entries_of_kinds(upns, ALERTING)).items():
        for entry in entries:
            known.alerts.setdefault((upn, entry.kind), []).append(
                (entry.recorded_at, entry.details.get("alerted"))
            )
    return known
