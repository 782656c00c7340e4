"""Wiring the sender: the SMTP server to use (a relay, or the embedded one), the journal, and
the loop `serve` runs (`outbox send --once` runs it until the queue is empty)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from casework.outgoing import BatchReport, settle_dead_workers
from casework.sendloop import drain
from mail.inbox import ImapAccount, ImapSentFolder
from mail.local import LocalMailServer
from mail.sender import FileJournal, FileJournals, SmtpServer, SmtpTransport, new_worker_id
from supportfirst.bootstrap import App

log = logging.getLogger("supportfirst.sender")


@dataclass
class Totals:
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    settled: int = 0
    reports: list[BatchReport] = field(default_factory=list)

    def add(self, r: BatchReport) -> None:
        self.batches += 1
        self.claimed += r.claimed
        self.sent += r.sent
        self.retrying += r.retrying
        self.failed += r.failed


def journal_folder(application: App) -> Path:
    return application.settings.data_dir / "outbox-journal"


@contextlib.asynccontextmanager
async def smtp_server(application: App) -> AsyncIterator[SmtpServer]:
    """The configured relay, or the embedded server for as long as the block runs."""
    if application.settings.smtp_url:
        yield SmtpServer.from_url(application.settings.smtp_url, application.settings.smtp_ca_file)
        return
    local = LocalMailServer(application.settings.data_dir, application.settings.mail_domain)
    await asyncio.to_thread(local.start)
    try:
        yield SmtpServer("127.0.0.1", local.port)
    finally:
        await asyncio.to_thread(local.stop)


class Sender:
    """One worker: its own journal, a transport, and the loop."""

    def __init__(self, application: App, server: SmtpServer, connections: int = 2) -> None:
        self.application = application
        self.worker = new_worker_id()
        self.journals = FileJournals(journal_folder(application))
        self.journal = FileJournal(journal_folder(application), self.worker)
        self.transport = SmtpTransport(
            server, connections=connections, dsn=application.settings.smtp_dsn
        )
        s = application.settings
        self.sent_folder = (
            ImapSentFolder(ImapAccount.from_url(s.imap_url), s.imap_sent_folder)
            if s.imap_url and s.imap_sent_folder
            else None
        )

    async def _copy_to_sent(self, sha256s: tuple[str, ...]) -> None:
        assert self.sent_folder is not None
        evidence = self.application.evidence()
        try:
            await asyncio.to_thread(self.sent_folder.append, [evidence.get(s) for s in sha256s])
        except Exception:  # the copy is a convenience; the evidence store is the record
            log.exception("could not copy %d sent emails to the Sent folder", len(sha256s))

    async def settle(self) -> int:
        return await settle_dead_workers(
            self.application.uow, self.journals, self.application.clock.now()
        )

    async def drain(self) -> Totals:
        """Send batches until nothing is due (pipelined: casework/sendloop.py); returns what
        happened."""
        totals = Totals(settled=await self.settle())

        async def seen(report: BatchReport) -> None:
            totals.add(report)
            if report.journal_error:  # the emails are queued again; retry after the pause
                log.error("outbox: the send journal cannot be written: %s", report.journal_error)
            if report.sent_sha256 and self.sent_folder is not None:
                await self._copy_to_sent(report.sent_sha256)

        await drain(
            self.application.uow,
            self.application.evidence(),
            self.transport,
            self.journal,
            self.worker,
            self.application.clock.now,
            self.application.settings.send_batch,
            seen,
        )
        return totals

    async def run_forever(self, idle_seconds: float = 2.0) -> None:
        while True:
            try:
                totals = await self.drain()
                if totals.claimed or totals.settled:
                    log.info(
                        "outbox: %d sent, %d to retry, %d failed, %d settled after a crash",
                        totals.sent,
                        totals.retrying,
                        totals.failed,
                        totals.settled,
                    )
            except Exception:
                log.exception("the sender failed; trying again shortly")
            await asyncio.sleep(idle_seconds)

    async def close(self) -> None:
        await self.transport.close()
        self.journal.close()
