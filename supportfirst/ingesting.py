"""Wiring the ingester: which inbox to read (SUPPORTFIRST_IMAP_URL, SUPPORTFIRST_INBOX_MAILDIR,
or the embedded local Maildir) and the loop `serve` runs (`mail ingest --once` runs it until the
inbox has nothing new)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from casework.inbound import file_messages
from mail.inbox import ImapAccount, ImapInbox, Inbox, MaildirInbox
from mail.local import inbox_folder
from mail.reading_pool import ReadingPool
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


def open_inbox(application: App) -> Inbox:
    settings = application.settings
    if settings.imap_url:
        return ImapInbox(ImapAccount.from_url(settings.imap_url))
    return MaildirInbox(settings.inbox_maildir or inbox_folder(settings.data_dir))


def reading_pool(application: App) -> ReadingPool:
    """The ingester's readers: SUPPORTFIRST_INGEST_WORKERS processes (0 or 1: in this one)."""
    settings = application.settings
    return ReadingPool(settings.ingest_workers, settings.trusted_authserv_ids, settings.dns_server)


async def ingest_once(
    application: App, inbox: Inbox, reader: ReadingPool | None = None
) -> IngestTotals:
    """Read and file what is new, a batch at a time; with no `reader`, a pool of its own for
    this pass."""
    if reader is None:
        with reading_pool(application) as pool:
            return await ingest_once(application, inbox, pool)
    totals = IngestTotals()
    while True:
        async with application.uow() as uow:
            state = await uow.mail.mailbox_state(inbox.name)
        batch = await asyncio.to_thread(inbox.fetch, state, application.settings.ingest_batch)
        if not batch.arrived:
            return totals
        filed = await file_messages(
            application.uow(),
            application.evidence(),
            reader,
            batch.arrived,
            application.clock.now(),
            batch.progress,
        )
        await asyncio.to_thread(inbox.acknowledge, batch)
        totals.read += len(filed)
        for f in filed:
            if f.new:
                totals.new += 1
                if f.record.quarantined:
                    totals.quarantined += 1
                else:
                    totals.matched += 1


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
