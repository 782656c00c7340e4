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

Mail is filed a batch at a time (issue 16): all the batch's blobs are written while the batch is
read (by the reading workers themselves: mail/reading_pool.py) and made durable in one pass,
then everything the decisions need is read in a few set-based statements
(casework/inbound_batch.py), each message is decided in memory in the order it came
(casework/inbound_rules.py), and the batch's rows, case entries and alerts are written with a
statement each (casework/inbound_case.py), with how far the mailbox was read, in one
transaction. A message earlier in the batch counts for the later ones (duplicates, the hourly
limits, the alert of the hour) as it would if each were filed on its own. No row can refer to a
blob that is not durable, and a process killed anywhere leaves each message filed once or not
at all (then read again). Storing and reading record nothing (`read_batch`), so the ingester
reads batch N+1 while batch N is filed (`file_read`; supportfirst/ingesting.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from casework.inbound_batch import Known, look_up
from casework.inbound_case import CaseFiling
from casework.inbound_rules import Arrived as Arrived  # named here, where the inbox needs it
from casework.inbound_rules import Reading as Reading
from casework.inbound_rules import flooding, inbound_record, proven, quarantine_reason
from casework.mail_trust import sender_verified
from casework.ports import Evidence, UnitOfWork
from casework.records import EmailRecord, InboundRecord


@dataclass(frozen=True)
class Filed:
    record: InboundRecord
    new: bool


@dataclass(frozen=True)
class _Decided:
    record: InboundRecord
    reading: Reading
    new: bool  # first time these bytes are seen (in the store or in this batch)
    case: EmailRecord | None  # the email whose case it goes on; None: quarantined
    verified: bool | None


def _decide(a: Arrived, sha256: str, r: Reading, known: Known, now: datetime) -> _Decided:
    email = known.email_for(r)
    verified = None if r.proof.checked_by == "" else sender_verified(r.proof)
    held = quarantine_reason(r, email, known)
    if held is None and email is not None and not proven(email, r, verified):
        held = flooding(r, email, known)
    new = known.first_time(sha256)
    case = email if held is None else None
    if new and case is not None:
        known.filed_to(case.upn, r)
    return _Decided(
        inbound_record(a, sha256, r, email, held, verified, now), r, new, case, verified
    )


class Reader(Protocol):
    """Reads a batch of raw messages, in order (mail/reading_pool.py: in worker processes)."""

    async def read_all(self, raws: Sequence[bytes]) -> Sequence[Reading]: ...


@runtime_checkable
class KeepingReader(Reader, Protocol):
    """A Reader that also writes each message's blob where it reads it, not yet durable (the
    reading pool's workers, which hold the bytes): their names and the readings, in order.
    `keeps` False: it was not handed the evidence store, and only reads."""

    @property
    def keeps(self) -> bool: ...

    async def keep_and_read(
        self, raws: Sequence[bytes]
    ) -> tuple[Sequence[str], Sequence[Reading]]: ...


@dataclass(frozen=True)
class ReadHere:
    """A Reader that reads each message with `read` in a thread of this process."""

    read: Callable[[bytes], Reading]

    async def read_all(self, raws: Sequence[bytes]) -> list[Reading]:
        return await asyncio.to_thread(lambda: [self.read(raw) for raw in raws])


@dataclass(frozen=True)
class ReadBatch:
    """A batch stored and read, not yet filed: its blobs are durable, nothing of it is recorded."""

    arrived: Sequence[Arrived]
    sha256s: Sequence[str]
    readings: Sequence[Reading]


async def read_batch(evidence: Evidence, reader: Reader, arrived: Sequence[Arrived]) -> ReadBatch:
    """Write the batch's blobs and make them durable while it is read (a KeepingReader writes
    them as it reads; one durability pass follows). Nothing is recorded, so the ingester may
    read the next batch while the one before is filed."""
    raws = [a.raw for a in arrived]
    if isinstance(reader, KeepingReader) and reader.keeps:
        sha256s, readings = await reader.keep_and_read(raws)
        await asyncio.to_thread(evidence.make_durable, sha256s)  # off the loop: it waits on disk
        return ReadBatch(arrived, sha256s, readings)
    # Both off the event loop, which serves Slack too, and at once: the blobs' writes wait on
    # the disk while the messages are parsed (and DNS asked).
    writing = asyncio.create_task(asyncio.to_thread(evidence.put_many, raws))
    try:
        readings = await reader.read_all(raws)
    except BaseException:
        with contextlib.suppress(Exception):  # the reading's error is the one to tell
            await writing  # never left writing behind a batch that failed
        raise
    return ReadBatch(arrived, await writing, readings)


async def file_read(
    uow: UnitOfWork,
    batch: ReadBatch,
    now: datetime,
    progress: tuple[str, int, int] | None = None,
) -> list[Filed]:
    """File a batch `read_batch` returned (so every blob it names is durable) in one
    transaction, with how far the mailbox was read (`progress` = mailbox, UIDVALIDITY, highest
    UID), so a restart neither loses nor repeats."""
    async with uow:
        known = await look_up(uow, batch.readings, batch.sha256s, now)
        decided = [
            _decide(a, sha256, r, known, now)
            for a, sha256, r in zip(batch.arrived, batch.sha256s, batch.readings, strict=True)
        ]
        stored = await uow.mail.add_inbound_many([d.record for d in decided if d.new])
        filing = CaseFiling(uow, known, now)
        for d in decided:
            if d.new and d.case is not None and d.record.sha256 in stored:
                await filing.file(d.case, d.reading, d.record.sha256, d.verified)
        await filing.flush()
        if progress is not None:
            await uow.mail.save_mailbox_state(*progress, now)
        await uow.commit()
    return [Filed(d.record, d.new and d.record.sha256 in stored) for d in decided]


async def file_messages(
    uow: UnitOfWork,
    evidence: Evidence,
    reader: Reader,
    arrived: Sequence[Arrived],
    now: datetime,
    progress: tuple[str, int, int] | None = None,
) -> list[Filed]:
    """Store, read and file a batch: `read_batch`, then `file_read`."""
    return await file_read(uow, await read_batch(evidence, reader, arrived), now, progress)
