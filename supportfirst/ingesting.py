"""Wiring the ingester: which inbox to read (SUPPORTFIRST_IMAP_URL, SUPPORTFIRST_INBOX_MAILDIR,
or the embedded local Maildir) and the loop `serve` runs (`mail ingest --once` runs it until the
inbox has nothing new), which fetches and reads batch N+1 while batch N is filed."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from casework.inbound import Filed, ReadBatch, Reader, file_read, read_batch
from mail.inbox import Batch, ImapAccount, ImapInbox, Inbox, MaildirInbox
from mail.local import inbox_folder
from mail.reading_pool import ReadingPool
from store.evidence import write_unsynced
from supportfirst.bootstrap import App

log = logging.getLogger("supportfirst.ingester")
# flufl.bounce logs a traceback on some hostile bounces before classify() recovers from it
# (here for the batches read in this process; each reading worker does the same).
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)


@dataclass
class IngestTotals:
    read: int = 0
    new: int = 0
    matched: int = 0
    quarantined: int = 0

    def add(self, filed: Sequence[Filed]) -> None:
        self.read += len(filed)
        for f in filed:
            if f.new:
                self.new += 1
                if f.record.quarantined:
                    self.quarantined += 1
                else:
                    self.matched += 1


def open_inbox(application: App) -> Inbox:
    settings = application.settings
    if settings.imap_url:
        return ImapInbox(ImapAccount.from_url(settings.imap_url))
    return MaildirInbox(settings.inbox_maildir or inbox_folder(settings.data_dir))


def reading_pool(application: App) -> ReadingPool:
    """The ingester's readers: SUPPORTFIRST_INGEST_WORKERS processes (0 or 1: in this one),
    which write the blobs of what they read into the evidence store."""
    settings = application.settings
    # The workers write each message's blob as they read it; the batch is made durable after.
    keep = functools.partial(write_unsynced, application.evidence().root)
    return ReadingPool(
        settings.ingest_workers, settings.trusted_authserv_ids, settings.dns_server, keep
    )


@dataclass(frozen=True)
class _Ahead:
    batch: Batch
    read: ReadBatch


async def _read_next(
    application: App, inbox: Inbox, reader: Reader, after: Batch | None
) -> _Ahead | None:
    """Fetch and read the batch after `after` (not yet filed; None: from the mailbox's recorded
    progress). Nothing is recorded or acknowledged: a crash now only means reading it again."""
    state = None
    if after is None:
        async with application.uow() as uow:
            state = await uow.mail.mailbox_state(inbox.name)
    limit = application.settings.ingest_batch
    batch = await asyncio.to_thread(inbox.fetch, state, limit, after)
    if not batch.arrived:
        return None
    return _Ahead(batch, await read_batch(application.evidence(), reader, batch.arrived))


async def ingest_once(application: App, inbox: Inbox, reader: Reader | None = None) -> IngestTotals:
    """Read and file what is new, a batch at a time, reading batch N+1 (fetch, blobs, parse) while
    batch N is filed and acknowledged; with no `reader`, a pool of its own for this pass. Batches
    are filed in order, each after the one before is committed, so every look-up sees the batch
    before it; nothing of N+1 is recorded or acknowledged before N+1 itself is filed."""
    if reader is None:
        with reading_pool(application) as pool:
            return await ingest_once(application, inbox, pool)
    totals = IngestTotals()
    current = await _read_next(application, inbox, reader, None)
    while current is not None:
        following = asyncio.create_task(_read_next(application, inbox, reader, current.batch))
        try:
            filed = await file_read(
                application.uow(), current.read, application.clock.now(), current.batch.progress
            )
            await asyncio.to_thread(inbox.acknowledge, current.batch)
        except BaseException as failure:
            # N+1 is read again from what was recorded, on the next pass. Cancelled (serve
            # stopping): stop reading ahead; otherwise let its fetch end first, so the next pass
            # never fetches on the inbox beside it.
            if not isinstance(failure, Exception):
                following.cancel()
            await asyncio.gather(following, return_exceptions=True)
            raise
        totals.add(filed)
        current = await following
    return totals


async def ingest_forever(application: App, inbox: Inbox, wait_seconds: float = 30) -> None:
    with reading_pool(application) as reader:
        await _ingest_forever(application, inbox, reader, wait_seconds)


async def _ingest_forever(
    application: App, inbox: Inbox, reader: ReadingPool, wait_seconds: float
) -> None:
    while True:
        try:
            totals = await ingest_once(application, inbox, reader)
            if totals.new:
                log.info(
                    "inbox: %d new, %d matched, %d quarantined",
                    totals.new,
                    totals.matched,
                    totals.quarantined,
                )
            await asyncio.to_thread(inbox.wait, wait_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reading the inbox failed; trying again shortly")
            await asyncio.sleep(5)
