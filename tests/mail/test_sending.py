"""Letters to parents: email only with that parent's consent, the exact stored bytes sent,
SMTP faults retried or failed with an alert, and crashes settled from the worker's journal."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from casework.consent import record_consent, withdraw_consent
from casework.evidence import evidence_for, outbox_status
from casework.imports import import_csv
from casework.notices import issue_nti
from casework.outgoing import BatchReport, send_due, settle_dead_workers
from casework.records import SendOutcome
from casework.sending import send_letter
from mail.sender import FileJournal, FileJournals, SmtpServer, SmtpTransport
from store.outbox import SqlOutbox
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, one_family
from tests.mail.smtpservers import Sink, scripted_server

FORM = ("consent-form.pdf", b"%PDF-1.4 the signed consent form")

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ON = date(2025, 3, 10)
PARENT = "alex@example.org"


async def load(app: App, kind: str, data: bytes) -> None:
    await import_csv(app.uow(), kind, f"{kind}.csv", data, "officer", NOW)


@pytest.fixture
async def case(app: App) -> App:
    await one_family(app, NOW)
    return app


async def consent(app: App, parent: str = "P1", email: str = PARENT, on: date = ON) -> None:
    await record_consent(app.uow(), app.evidence(), parent, email, "form", on, "officer", NOW, FORM)


async def letter(app: App, template: str = "initial_concern") -> list[tuple[str, str | None]]:
    sent = await send_letter(app.uow(), app.mailroom(), template, b.UPN_1, HEAD, ON, NOW)
    return [(p.route, p.message_id) for p in sent.parents]


@dataclass
class Worker:
    app: App
    transport: SmtpTransport
    journal: FileJournal
    clock: datetime = NOW

    async def run(self) -> BatchReport | None:
        return await send_due(
            self.app.uow,
            self.app.evidence(),
            self.transport,
            self.journal,
            self.journal.worker,
            lambda: self.clock,
        )


@pytest.fixture
async def worker(case: App, smtp_sink: Sink) -> AsyncIterator[Worker]:
    folder = case.settings.data_dir / "journal"
    w = Worker(
        case, SmtpTransport(SmtpServer("127.0.0.1", smtp_sink.port)), FileJournal(folder, "w1")
    )
    w.transport.clock = lambda: w.clock
    yield w
    await w.transport.close()
    w.journal.close()


async def alerts(app: App) -> list[str]:
    async with app.uow() as uow:
        return [e.kind for e in await SqlOutbox(uow.session).pending()]


async def test_without_consent_nothing_is_emailed_and_a_letter_and_slip_are_printed(
    case: App,
) -> None:
    assert await letter(case) == [("post", None), ("post", None)]
    assert await outbox_status(case.uow()) == {"queued": 0, "sending": 0, "sent": 0, "failed": 0}
    async with case.uow() as uow:
        printed = await uow.mail.printed_for(b.UPN_1)
    assert [p.parent_id for p in printed] == ["P1", "P2"]
    for p in printed:
        assert case.evidence().get(p.letter_sha256).startswith(b"%PDF")
        assert case.evidence().verify(p.slip_sha256)


async def test_a_consenting_parent_is_emailed_the_stored_bytes_exactly(
    worker: Worker, smtp_sink: Sink
) -> None:
    await consent(worker.app)
    routes = await letter(worker.app)
    assert [r for r, _ in routes] == ["email", "post"]
    report = await worker.run()
    assert report == BatchReport(1, 1, 0, 0)
    [got] = smtp_sink.recorder.received
    item = await evidence_for(worker.app.uow(), worker.app.evidence(), str(routes[0][1]))
    assert got.content == item.raw and hashlib.sha256(got.content).hexdigest() == item.sha256
    assert got.rcpt_tos == [PARENT] and got.mail_from.startswith("attendance+bounce-")
    assert item.sent is not None and item.sent.state == "sent" and item.sent.queue_id == "Q00001"
    assert item.sent.consent_id == 1 and item.sent.deemed_received_on == ON


async def test_an_address_shared_with_another_parent_is_not_used(case: App) -> None:
    await consent(case)
    await load(
        case,
        "parents",
        b.csv_bytes(
            b.PARENTS_HEADER,
            [
                f"P1,{b.UPN_1},Alex Taylor,{PARENT},mother,{b.ADDRESS_1}",
                f"P2,{b.UPN_1},Jo Taylor,{PARENT},father,{b.ADDRESS_2}",
            ],
        ),
    )
    assert await letter(case) == [("post", None), ("post", None)]


async def test_a_refused_recipient_fails_at_once_with_an_alert(
    worker: Worker, smtp_sink: Sink
) -> None:
    smtp_sink.recorder.rcpt_reply[PARENT] = "550 5.1.1 <alex@example.org>: mailbox unavailable"
    await consent(worker.app)
    await letter(worker.app)
    assert await worker.run() == BatchReport(1, 0, 0, 1)
    assert await alerts(worker.app) == ["EmailFailed"]
    assert smtp_sink.recorder.received == []


async def test_a_refused_notice_to_improve_is_not_served(worker: Worker, smtp_sink: Sink) -> None:
    smtp_sink.recorder.rcpt_reply[PARENT] = "550 5.1.1 mailbox unavailable"
    await consent(worker.app, on=date(2025, 3, 3))
    await issue_a_notice(worker.app)
    assert await worker.run() == BatchReport(1, 0, 0, 1)
    assert await alerts(worker.app) == ["NtiIssued", "NoticeNotServed"]
    async with worker.app.uow() as uow:
        [notice] = await uow.cases.notices(b.UPN_1)
        states = [(d.parent_id, d.route, d.state) for d in await uow.cases.deliveries(notice.id)]
    assert states == [("P1", "email", "failed"), ("P2", "post", "awaiting_post")]


async def issue_a_notice(app: App) -> None:
    week = [date(2025, 3, d) for d in range(3, 8)]
    gone = [(d, s) for d in week for s in ("AM", "PM")]
    rows = b.marks(b.UPN_1, date(2025, 2, 24), date(2025, 3, 7), absent=gone, code="O")
    await load(app, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    on = date(2025, 3, 7)
    await issue_nti(app.uow(), app.mailroom(), b.UPN_1, "Ms Patel", "No absence", on, 0, NOW)


async def test_a_451_after_data_is_retried_later_and_sent_once(
    worker: Worker, smtp_sink: Sink
) -> None:
    smtp_sink.recorder.data_reply[PARENT] = ["451 4.3.0 try again later"]
    await consent(worker.app)
    await letter(worker.app)
    assert await worker.run() == BatchReport(1, 0, 1, 0)
    assert await worker.run() is None  # not due yet
    worker.clock = NOW + timedelta(minutes=2)
    assert await worker.run() == BatchReport(1, 1, 0, 0)
    assert len(smtp_sink.recorder.received) == 1


async def test_consent_withdrawn_after_queueing_stops_the_email(
    worker: Worker, smtp_sink: Sink
) -> None:
    await consent(worker.app)
    await letter(worker.app)
    await withdraw_consent(worker.app.uow(), "P1", ON, "officer", NOW)
    assert await worker.run() == BatchReport(1, 0, 0, 1)
    assert smtp_sink.recorder.received == [] and await alerts(worker.app) == ["EmailFailed"]


async def test_bytes_changed_in_the_evidence_store_are_never_sent(
    worker: Worker, smtp_sink: Sink
) -> None:
    await consent(worker.app)
    [(_, message_id), _] = await letter(worker.app)
    item = await evidence_for(worker.app.uow(), worker.app.evidence(), str(message_id))
    path = worker.app.evidence().path(item.sha256)
    path.write_bytes(path.read_bytes().replace(b"Dear", b"Dean"))
    assert await worker.run() == BatchReport(1, 0, 0, 1)
    assert smtp_sink.recorder.received == []


@pytest.mark.parametrize("greeting, drop", [("421 4.3.2 busy, try later", None), ("220 hi", 200)])
async def test_a_421_greeting_or_a_drop_mid_data_is_temporary(
    case: App, tmp_path: Path, greeting: str, drop: int | None
) -> None:
    server = await scripted_server(greeting, drop)
    port = server.sockets[0].getsockname()[1]
    transport = SmtpTransport(SmtpServer("127.0.0.1", port), clock=lambda: NOW)
    w = Worker(case, transport, FileJournal(tmp_path, "w2"))
    await consent(case)
    await letter(case)
    assert await w.run() == BatchReport(1, 0, 1, 0)
    async with case.uow() as uow:
        [email] = await uow.mail.emails_for(b.UPN_1)
    assert email.state == "queued" and email.attempts == 1
    server.close()
    w.journal.close()


async def test_a_dead_workers_journal_settles_each_claim(case: App, tmp_path: Path) -> None:
    for parent, email in (("P1", PARENT), ("P2", "jo@example.org")):
        await consent(case, parent, email)
    await letter(case)
    await letter(case, "meeting_invite")  # four emails
    async with case.uow() as uow:
        claimed = await uow.mail.claim("dead", NOW, NOW + timedelta(minutes=15), 10)
        await uow.commit()
    journal = FileJournal(tmp_path, "dead")
    journal.began(claimed[0].id)  # began, never finished: may have been delivered
    journal.began(claimed[1].id)
    journal.finished(SendOutcome(claimed[1].id, "sent", NOW, 250, "Ok: queued as X1", "X1"))
    journal.began(claimed[2].id)
    with open(journal.path, "ab") as f:  # a line cut short by the kill
        f.write(b'{"finished": %d, "outco' % claimed[2].id)
    os.close(journal._fd)  # the process "dies": its lock goes with it
    settled = await settle_dead_workers(case.uow, FileJournals(tmp_path), NOW)
    assert settled == 4
    async with case.uow() as uow:
        states = [e.state for e in await uow.mail.emails_for(b.UPN_1)]
    assert states == ["failed", "sent", "failed", "queued"]
    assert not (tmp_path / "dead.journal").exists()
