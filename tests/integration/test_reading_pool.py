"""Reading a batch in worker processes (mail/reading_pool.py) reads exactly what reading it here
does, and a worker killed mid-batch files nothing of the batch, which is then read again and
filed once (SIGKILL of a real pool worker); on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal

import pytest

from casework.inbound import Arrived, file_messages
from casework.records import EmailRecord
from mail.authenticity import Authenticator, Resolver
from mail.reading import read_message
from mail.reading_pool import ReadingFailed, ReadingPool
from supportfirst.bootstrap import App
from tests import builders as b
from tests.integration.test_inbound_limits import NOW, PARENT, emailed, test_domains_are_valid

__all__ = ["emailed", "test_domains_are_valid"]

TRUSTED = "mx.school.test"  # the school's provider vouches for the parent: no DNS is asked


def replies(email: EmailRecord, n: int) -> list[bytes]:
    return [
        (
            f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=example.org\r\n"
            f"From: Alex Taylor <{PARENT}>\r\nTo: attendance@localhost\r\nSubject: Re: Sam\r\n"
            f"In-Reply-To: {email.message_id}\r\nMessage-ID: <r{i}@example.org>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nWe can meet on Thursday.\r\n"
        ).encode()
        for i in range(n)
    ] + [b"From: stranger@example.net\r\nSubject: hello\r\n\r\nhi\r\n"]


@pytest.mark.parametrize("workers", [0, 2])
async def test_a_pool_reads_and_files_a_batch_as_reading_here_does(
    app: App, emailed: EmailRecord, workers: int
) -> None:
    raws = replies(emailed, 40)
    here = Authenticator([TRUSTED], Resolver())
    with ReadingPool(workers, [TRUSTED]) as pool:
        assert list(await pool.read_all(raws)) == [read_message(r, here) for r in raws]
        filed = await file_messages(
            app.uow(), app.evidence(), pool, [Arrived(r, "INBOX") for r in raws], NOW
        )
    assert [(f.new, f.record.upn, f.record.sender_verified) for f in filed[:-1]] == [
        (True, b.UPN_1, True)
    ] * 40
    assert filed[-1].record.quarantined


async def test_a_reading_worker_killed_mid_batch_files_nothing_and_the_batch_is_read_again(
    app: App, emailed: EmailRecord
) -> None:
    arrived = [Arrived(r, "INBOX") for r in replies(emailed, 300)]
    with ReadingPool(2, [TRUSTED]) as pool:
        pool.warm()
        [victim, *_] = multiprocessing.active_children()
        filing = asyncio.create_task(file_messages(app.uow(), app.evidence(), pool, arrived, NOW))
        await asyncio.sleep(0.05)  # the batch handed to the workers
        os.kill(victim.pid or 0, signal.SIGKILL)
        with pytest.raises(ReadingFailed, match="worker died mid-batch"):
            await filing
        async with app.uow() as uow:
            assert await uow.mail.inbound() == []
        filed = await file_messages(app.uow(), app.evidence(), pool, arrived, NOW)
    assert sum(f.new for f in filed) == 301
    async with app.uow() as uow:
        stored = await uow.mail.inbound()
        entries = [e for e in await uow.cases.entries(b.UPN_1) if e.kind == "parent_replied"]
    assert len(stored) == 301 and len({m.sha256 for m in stored}) == 301
    assert all(app.evidence().verify(m.sha256) for m in stored)
    assert len(entries) == 300
