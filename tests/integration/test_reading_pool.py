"""Reading a batch in worker processes (mail/reading_pool.py) reads exactly what reading it here
does, and a worker killed mid-batch files nothing of the batch, which is then read again and
filed once (SIGKILL of a real pool worker); on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Sequence

import pytest

from casework.inbound import Arrived, file_messages
from casework.records import EmailRecord
from mail.authenticity import Authenticator, Resolver
from mail.reading import read_message
from mail.reading_pool import ReadingFailed, ReadingPool
from store.evidence import EvidenceStore, write_unsynced
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


class WatchedEvidence(EvidenceStore):
    """The store, saying what was made durable; the ingester itself writes no blob here."""

    def __init__(self, store: EvidenceStore) -> None:
        super().__init__(store.root)
        self.made_durable: list[list[str]] = []

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        raise AssertionError("the ingester wrote the batch's blobs itself")

    def make_durable(self, sha256s: Sequence[str]) -> None:
        assert all(self.path(s).exists() for s in sha256s), "durable before written"
        self.made_durable.append(list(sha256s))
        super().make_durable(sha256s)


@pytest.mark.parametrize("workers", [0, 2])
async def test_a_pool_handed_keep_writes_the_blobs_it_reads_and_one_pass_makes_them_durable(
    app: App, emailed: EmailRecord, workers: int
) -> None:
    raws = replies(emailed, 40)
    evidence = WatchedEvidence(app.evidence())
    keep = functools.partial(write_unsynced, evidence.root)
    with ReadingPool(workers, [TRUSTED], keep=keep) as pool:
        assert pool.keeps
        filed = await file_messages(
            app.uow(), evidence, pool, [Arrived(r, "INBOX") for r in raws], NOW
        )
    names = [hashlib.sha256(r).hexdigest() for r in raws]
    assert evidence.made_durable == [names]  # one pass for the batch, in order
    assert [f.record.sha256 for f in filed] == names
    assert all(evidence.verify(n) for n in names)
    assert sum(f.new and not f.record.quarantined for f in filed) == 40
    assert not list(evidence.root.rglob("*.tmp"))


async def test_a_pool_not_handed_keep_only_reads() -> None:
    with ReadingPool(0, [TRUSTED]) as pool:
        assert not pool.keeps
        with pytest.raises(TypeError, match="not handed `keep`"):
            await pool.keep_and_read([b"Subject: x\r\n\r\nx\r\n"])


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
