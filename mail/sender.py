"""Handing stored messages to an SMTP server (aiosmtplib), and the worker's journal.

`SmtpTransport` keeps a few connections open and reuses each for many messages (bounded
concurrency); STARTTLS when the server offers it, implicit TLS for `smtps://`, AUTH when the URL
carries a user. Errors map to outcomes: a 4xx reply or a lost connection is temporary, a 5xx
reply is permanent, and the SMTP code and text are kept either way.

`FileJournal` is one worker's append-only record: "began" is written (and fdatasync'ed) before
the SMTP transaction starts, "finished" with the server's answer after it. The worker holds an
exclusive lock on its journal while it lives, so after a SIGKILL any process on this machine can
tell the journal is orphaned and settle the claims it describes (casework/outgoing.py).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib

from casework.outgoing import Journal, JournalEntry, journal_error
from casework.records import Claimed, SendOutcome
from mail.urls import server_url

QUEUED_AS = re.compile(r"queued as ([A-Za-z0-9]+)", re.IGNORECASE)


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # trust this CA bundle (a relay with a private CA)

    @classmethod
    def from_url(cls, url: str, ca_file: str | None = None) -> SmtpServer:
        """`smtp://[user:pass@]host:port` (STARTTLS when offered) or `smtps://…` (TLS)."""
        u = server_url(
            url,
            "SUPPORTFIRST_SMTP_URL",
            ("smtp", "smtps"),
            (25, 465),
            "smtp://[user:pass@]host:port or smtps://…",
            SmtpUrlError,
        )
        return cls(u.host, u.port, u.tls, u.user, u.password, ca_file)


def _now() -> datetime:
    return datetime.now(UTC)


def outcome_of_error(mail_id: int, e: Exception, at: datetime) -> SendOutcome:
    """aiosmtplib's exceptions as outcomes: 5xx permanent, everything else temporary."""
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused) and e.recipients:
        e = e.recipients[0]
    if isinstance(e, aiosmtplib.SMTPAuthenticationError):
        # Our credentials, not the message: keep it queued while someone fixes the settings.
        return SendOutcome(mail_id, "temporary", at, e.code, f"login refused: {e.message}"[:500])
    if isinstance(e, aiosmtplib.SMTPResponseException) and e.code > 0:
        kind = "permanent" if 500 <= e.code < 600 else "temporary"
        return SendOutcome(mail_id, kind, at, e.code, e.message.strip()[:500])
    return SendOutcome(mail_id, "temporary", at, None, f"{type(e).__name__}: {e}"[:500])


class SmtpTransport:
    def __init__(
        self,
        server: SmtpServer,
        connections: int = 2,
        timeout: float = 60,
        dsn: bool = False,
        local_hostname: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.server = server
        self.clock = clock
        self.connections = max(1, connections)
        self.timeout = timeout
        self.dsn = dsn
        self.local_hostname = local_hostname or socket.getfqdn()
        self._idle: list[aiosmtplib.SMTP] = []

    def _client(self) -> aiosmtplib.SMTP:
        context = ssl.create_default_context(cafile=self.server.ca_file)
        return aiosmtplib.SMTP(
            hostname=self.server.host,
            port=self.server.port,
            username=self.server.username,
            password=self.server.password,
            use_tls=self.server.implicit_tls,
            start_tls=None if not self.server.implicit_tls else False,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
            tls_context=context,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        client = self._client()
        await client.connect()
        return client

    async def _send_one(
        self, client: aiosmtplib.SMTP, c: Claimed, raw: bytes, durable: Awaitable[None]
    ) -> SendOutcome:
        """One transaction. `durable` is the journal's "began" reaching the disk: it runs
        during MAIL and RCPT and is awaited before DATA, because only the end of DATA hands
        the message over (a crash before it delivers nothing)."""
        mail_options: list[str] = []
        rcpt_options: list[str] = []
        if self.dsn and client.supports_extension("dsn"):
            mail_options = ["RET=HDRS", f"ENVID={c.id}"]
            rcpt_options = ["NOTIFY=SUCCESS,FAILURE,DELAY"]
        if client.supports_extension("size"):
            mail_options.append(f"SIZE={len(raw)}")
        await client.mail(c.envelope_from, options=mail_options)
        await client.rcpt(c.recipient, options=rcpt_options)
        try:
            await durable
        except OSError as e:
            raise JournalUnwritable(e) from e
        response = await client.data(raw)
        reply = response.message
        queued = QUEUED_AS.search(reply)
        return SendOutcome(
            c.id,
            "sent",
            self.clock(),
            250,
            reply.strip()[:500],
            queued.group(1) if queued else None,
        )

    async def _lane(
        self,
        work: asyncio.Queue[tuple[Claimed, bytes]],
        journal: Journal,
        outcomes: list[SendOutcome],
    ) -> None:
        client: aiosmtplib.SMTP | None = None
        while not work.empty():
            c, raw = work.get_nowait()
            try:
                if client is None or not client.is_connected:
                    client = await self._connected()
            except Exception as e:  # could not even connect: nothing was handed over
                outcomes.append(outcome_of_error(c.id, e, self.clock()))
                client = None
                continue
            try:
                journal.began(c.id)
            except OSError as e:  # nothing handed over: this and the rest stay queued
                outcomes += _not_begun([(c, raw), *_drain(work)], e, self.clock())
                break
            durable = asyncio.ensure_future(asyncio.to_thread(journal.sync))
            try:
                outcome = await self._send_one(client, c, raw, durable)
            except JournalUnwritable as e:
                # "began" may not be durable, so DATA was never sent: abandon the transaction.
                await _reset(client)
                outcomes += _not_begun([(c, raw), *_drain(work)], e.error, self.clock())
                break
            except Exception as e:
                outcome = outcome_of_error(c.id, e, self.clock())
                if isinstance(e, aiosmtplib.SMTPResponseException) and client.is_connected:
                    await _reset(client)
            try:
                await durable  # "finished" is never on disk before its "began"
                journal.finished(outcome)
            except OSError:  # recorded from memory below; a crash first settles it uncertain
                pass
            outcomes.append(outcome)
        if client is not None and client.is_connected:
            self._idle.append(client)

    async def send(
        self, batch: Sequence[tuple[Claimed, bytes]], journal: Journal
    ) -> list[SendOutcome]:
        work: asyncio.Queue[tuple[Claimed, bytes]] = asyncio.Queue()
        for item in batch:
            work.put_nowait(item)
        outcomes: list[SendOutcome] = []
        lanes = min(self.connections, len(batch))
        await asyncio.gather(*(self._lane(work, journal, outcomes) for _ in range(lanes)))
        return outcomes

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


class JournalUnwritable(Exception):
    """The journal's "began" could not be made durable: the message must not be handed over."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _drain(work: asyncio.Queue[tuple[Claimed, bytes]]) -> list[tuple[Claimed, bytes]]:
    items = []
    while not work.empty():
        items.append(work.get_nowait())
    return items


def _not_begun(items: list[tuple[Claimed, bytes]], e: OSError, at: datetime) -> list[SendOutcome]:
    return [SendOutcome(c.id, "not_begun", at, text=journal_error(e)) for c, _ in items]


async def _reset(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.rset()
    except aiosmtplib.SMTPException:
        client.close()


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class FileJournal:
    def __init__(self, folder: Path, worker: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{worker}.journal"
        self.worker = worker
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held for the worker's life

    def _write(self, record: dict[str, object], durable: bool) -> None:
        os.write(self._fd, (json.dumps(record) + "\n").encode())
        if durable:
            os.fdatasync(self._fd)

    def open_batch(self, mail_ids: Sequence[int]) -> None:
        self._write({"batch": list(mail_ids)}, durable=True)

    def began(self, mail_id: int) -> None:
        # Written now (a SIGKILL cannot lose it) and made durable by `sync` before DATA: without
        # that a power cut could make a begun message look never-begun, and send it again.
        self._write({"began": mail_id}, durable=False)

    def sync(self) -> None:
        os.fdatasync(self._fd)

    def finished(self, outcome: SendOutcome) -> None:
        # Not synced: if lost, the message looks begun-not-finished: failed with an alert,
        # never sent twice.
        self._write(
            {
                "finished": outcome.mail_id,
                "outcome": outcome.outcome,
                "at": outcome.at.isoformat(),
                "code": outcome.code,
                "text": outcome.text,
                "queue_id": outcome.queue_id,
            },
            durable=False,
        )

    def close(self) -> None:
        os.close(self._fd)  # releases the lock
        self.path.unlink(missing_ok=True)


class FileJournals:
    """Every worker journal in one folder (one machine's workers)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _locked(self, path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def dead(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.stem for p in self.folder.glob("*.journal") if not self._locked(p))

    def alive(self, worker: str) -> bool | None:
        path = self.folder / f"{worker}.journal"
        if not path.exists():
            return None
        return self._locked(path)

    def read(self, worker: str) -> dict[int, JournalEntry]:
        entries: dict[int, JournalEntry] = {}
        path = self.folder / f"{worker}.journal"
        if not path.exists():
            return entries
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by the crash
            if "began" in record:
                entries[int(record["began"])] = JournalEntry(True)
            elif "finished" in record:
                mail_id = int(record["finished"])
                entries[mail_id] = JournalEntry(
                    True,
                    SendOutcome(
                        mail_id,
                        str(record["outcome"]),
                        datetime.fromisoformat(record["at"]),
                        record.get("code"),
                        record.get("text"),
                        record.get("queue_id"),
                    ),
                )
        return entries

    def discard(self, worker: str) -> None:
        (self.folder / f"{worker}.journal").unlink(missing_ok=True)
