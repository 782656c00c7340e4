"""SMTP servers in the test's own event loop: an aiosmtpd recorder with per-verb faults, and a
scripted server for faults aiosmtpd cannot make (421 at greeting, a drop in the middle of DATA).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Recorder:
    """Accepts everything unless told to refuse: `rcpt_reply` / `data_reply` per recipient."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: dict[str, str] = field(default_factory=dict)
    data_reply: dict[str, list[str]] = field(default_factory=dict)  # replies in turn

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_reply:
            return self.rcpt_reply[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rcpt = envelope.rcpt_tos[0]
        replies = self.data_reply.get(rcpt)
        if replies:
            return replies.pop(0)
        self.received.append(
            Received(
                str(envelope.mail_from), list(envelope.rcpt_tos), envelope.original_content or b""
            )
        )
        return f"250 2.0.0 Ok: queued as Q{len(self.received):05d}"


@dataclass
class Sink:
    port: int
    recorder: Recorder


@pytest.fixture
async def smtp_sink() -> AsyncIterator[Sink]:
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(recorder, hostname="sink.test", decode_data=False), "127.0.0.1", 0
    )
    yield Sink(server.sockets[0].getsockname()[1], recorder)
    server.close()
    await server.wait_closed()


async def scripted_server(greeting: str, drop_after_data_bytes: int | None) -> asyncio.Server:
    """Greets with `greeting`; if it is 220, accepts the envelope, then closes the connection
    after reading `drop_after_data_bytes` of the message."""

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting.encode() + b"\r\n")
        await writer.drain()
        if not greeting.startswith("220"):
            writer.close()
            return
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-scripted.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                await reader.read(drop_after_data_bytes or 1)
                writer.transport.abort()  # the connection drops in the middle of DATA
                return
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                writer.close()
                return
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()

    return await asyncio.start_server(session, "127.0.0.1", 0)
