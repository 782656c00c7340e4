"""The ingester killed mid-run (SIGKILL, a real process) and restarted: every reply in Dovecot
is filed exactly once, whether it is killed at a random moment or at each point of a batch in
turn (tests/mail/ingest_killer.py), and every stored row's blob is there and intact; and a
running ingester wakes on IDLE when a reply arrives."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import threading

import pytest

from casework.evidence import evidence_for
from mail.inbox import ImapAccount, ImapInbox
from supportfirst.bootstrap import App
from supportfirst.ingesting import ingest_forever
from tests import builders as b
from tests.mail.ingest_killer import POINTS
from tests.mail.test_roundtrip import email_parent, kinds, reply
from tests.mailservers import MailServers, unique_address

REPLIES = 150
# The school's mail server vouches for each reply (as its provider's MX writes it): a proven
# parent's replies are all filed, however many (only unproven senders are rate-limited).
TRUSTED = "mx.school.test"
VOUCHED = f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=parents.test\r\n"


def _env(app: App, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SUPPORTFIRST_DATA_DIR": str(app.settings.data_dir),
        "SUPPORTFIRST_DATABASE_URL": db_url,
        "SUPPORTFIRST_IMAP_URL": str(app.settings.imap_url),
        "SUPPORTFIRST_INGEST_BATCH": "10",
        "SUPPORTFIRST_TRUSTED_AUTHSERV_ID": TRUSTED,
    }


async def ingester(app: App, db_url: str, kill_after: float | None) -> bool:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "supportfirst",
        "mail",
        "ingest",
        "--once",
        env=_env(app, db_url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), kill_after)
    except TimeoutError:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        return False
    assert proc.returncode == 0, err.decode()
    return True


async def test_an_ingester_killed_mid_run_loses_and_doubles_no_reply(
    school: App,
    db_url: str,
    mail_servers: MailServers,
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert item.raw is not None
    for n in range(REPLIES):
        await reply(mail_servers, parent, item.raw, f"{VOUCHED}X-N: {n}\r\n")
    await mail_servers.wait_for(school.settings.from_address, REPLIES, timeout=60)
    rnd = random.Random()
    for _ in range(4):
        if await ingester(school, db_url, rnd.uniform(1.0, 2.5)):
            break
    assert await ingester(school, db_url, None)
    async with school.uow() as uow:
        filed = await uow.mail.inbound()
    assert len(filed) == REPLIES and all(m.upn == b.UPN_1 for m in filed)
    assert all(m.sender_verified for m in filed)
    assert (await kinds(school)).count("parent_replied") == REPLIES


async def killed_at(app: App, db_url: str, point: str, nth: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.mail.ingest_killer",
        point,
        str(nth),
        env=_env(app, db_url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    # Killed, so the point was reached (an ingester that finished or failed says otherwise).
    assert proc.returncode == -signal.SIGKILL, f"{point}: {proc.returncode} {err.decode()}"


# Each run files one batch of ten, then dies at the point named: in its second batch (half its
# blobs written in a worker, the second batch read, pass or statement; the second batch's read-ahead
# points once the first is committed), or, once the first is committed, before it is
# acknowledged. One run dies inside the overlap before its first batch is committed (its rows
# inserted, the second batch being read in the pool) and files nothing.
NTH = {
    "committed, not acknowledged": 1,
    "the rows inserted, the next batch being read": 1,
}
FILES_NONE = {"the rows inserted, the next batch being read"}
KILLS = [(point, NTH.get(point, 2)) for point in POINTS]


async def test_an_ingester_killed_at_each_point_of_a_batch_files_every_reply_once(
    school: App,
    db_url: str,
    mail_servers: MailServers,
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert item.raw is not None
    for n in range(REPLIES):
        await reply(mail_servers, parent, item.raw, f"{VOUCHED}X-N: {n}\r\n")
    await mail_servers.wait_for(school.settings.from_address, REPLIES, timeout=60)
    filed_before = []
    for point, nth in KILLS:
        await killed_at(school, db_url, point, nth)
        async with school.uow() as uow:
            filed_before.append(len(await uow.mail.inbound()))
    # Every run got one batch further than the one before (none, killed before its first
    # commit): each kill lost only the batches it had not committed.
    expected, total = [], 0
    for point, _ in KILLS:
        total += 0 if point in FILES_NONE else 10
        expected.append(total)
    assert filed_before == expected
    assert await ingester(school, db_url, None)
    async with school.uow() as uow:
        filed = await uow.mail.inbound()
    assert len(filed) == REPLIES and all(m.upn == b.UPN_1 for m in filed)
    assert len({m.sha256 for m in filed}) == REPLIES
    assert all(school.evidence().verify(m.sha256) for m in filed)
    assert (await kinds(school)).count("parent_replied") == REPLIES


class WatchedInbox(ImapInbox):
    """Says when the ingester has read the folder and begins to wait for new mail."""

    def __init__(self, account: ImapAccount) -> None:
        super().__init__(account)
        self.waiting = threading.Event()

    def wait(self, timeout: float) -> None:
        self.waiting.set()
        super().wait(timeout)


async def test_a_running_ingester_files_a_reply_as_it_arrives(
    school: App,
    mail_servers: MailServers,
) -> None:
    parent = unique_address("alex")
    message_id = await email_parent(school, parent)
    item = await evidence_for(school.uow(), school.evidence(), message_id)
    assert item.raw is not None
    inbox = WatchedInbox(ImapAccount.from_url(str(school.settings.imap_url)))
    task = asyncio.create_task(ingest_forever(school, inbox, wait_seconds=60))
    try:
        assert await asyncio.to_thread(inbox.waiting.wait, 30)  # read the folder, now in IDLE
        await reply(mail_servers, parent, item.raw)
        for _ in range(100):  # long before the 60 s poll: IDLE woke it
            if "parent_replied" in await kinds(school):
                break
            await asyncio.sleep(0.1)
        assert "parent_replied" in await kinds(school)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        inbox.close()
