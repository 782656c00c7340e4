"""The pipelined drain (casework/sendloop.py): batch N+1 goes on the wire while batch N is being
recorded, every email is sent once, and reports arrive in batch order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from casework.evidence import outbox_status
from casework.outgoing import BatchReport, Journal
from casework.records import Claimed, SendOutcome
from casework.sending import send_letter
from casework.sendloop import drain
from mail.sender import FileJournal, SmtpServer, SmtpTransport
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD
from tests.mail.smtpservers import Sink
from tests.mail.test_sending import NOW, ON, case, consent

__all__ = ["case"]
TEMPLATES = ("initial_concern", "meeting_invite", "meeting_missed")


class Watching:
    """The real SMTP transport, noting when each batch was handed to it."""

    def __init__(self, app: App, transport: SmtpTransport) -> None:
        self.app, self.transport = app, transport
        self.started: list[float] = []
        self.batches: list[list[int]] = []

    async def send(
        self, batch: Sequence[tuple[Claimed, bytes]], journal: Journal
    ) -> list[SendOutcome]:
        self.started.append(asyncio.get_running_loop().time())
        self.batches.append([c.id for c, _ in batch])
        await asyncio.sleep(0.05)  # on the wire a while: the recording runs meanwhile
        return await self.transport.send(batch, journal)


async def test_the_next_batch_is_on_the_wire_while_the_last_is_recorded(
    case: App, smtp_sink: Sink, tmp_path: Path
) -> None:
    await consent(case)
    await consent(case, "P2", "jo@example.org")
    for template in TEMPLATES:
        await send_letter(case.uow(), case.mailroom(), template, b.UPN_1, HEAD, ON, NOW)
    watching = Watching(case, SmtpTransport(SmtpServer("127.0.0.1", smtp_sink.port)))
    journal = FileJournal(tmp_path / "journal", "w1")
    reports: list[BatchReport] = []
    recorded: list[float] = []

    async def seen(report: BatchReport) -> None:
        reports.append(report)
        recorded.append(asyncio.get_running_loop().time())

    await drain(case.uow, case.evidence(), watching, journal, "w1", lambda: NOW, 2, seen)
    assert [r.sent for r in reports] == [2, 2, 2]
    # Batch N+1 was on the wire before batch N's record was done.
    assert [watching.started[k + 1] < recorded[k] for k in range(2)] == [True, True]
    assert len(smtp_sink.recorder.received) == 6
    assert await outbox_status(case.uow()) == {"queued": 0, "sending": 0, "sent": 6, "failed": 0}
    assert sorted(i for batch in watching.batches for i in batch) == list(range(1, 7))
    await watching.transport.close()
    journal.close()
