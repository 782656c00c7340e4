"""A full disk while sending: the journal cannot be written, so nothing is handed to the mail
server, every email stays queued (not "may or may not have been delivered"), staff get one
DiskFull alert, and once there is room again each email is sent exactly once.

The journal lives on a real 64 KiB tmpfs filled to the last byte (root may mount; elsewhere the
test is skipped with the reason, and under CI=true that is a failure)."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from casework.evidence import outbox_status
from casework.outgoing import BatchReport
from casework.records import SendOutcome
from mail.sender import FileJournal, SmtpServer, SmtpTransport
from supportfirst.bootstrap import App
from tests.mail.smtpservers import Sink
from tests.mail.test_sending import NOW, Worker, alerts, case, consent, letter

__all__ = ["case"]  # the fixture, used by `worker` below


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        reason = f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write until the file system says ENOSPC; returns the filler file (delete it for room)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        try:
            while True:
                f.write(b"\0")
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return filler


@pytest.fixture
async def worker(case: App, smtp_sink: Sink, small_disk: Path) -> Worker:
    w = Worker(
        case,
        SmtpTransport(SmtpServer("127.0.0.1", smtp_sink.port)),
        FileJournal(small_disk / "journal", "w1"),
    )
    w.transport.clock = lambda: w.clock
    return w


async def two_emails(app: App) -> None:
    await consent(app)
    await consent(app, "P2", "jo@example.org")
    assert [route for route, _ in await letter(app)] == ["email", "email"]


async def test_a_full_disk_sends_nothing_and_leaves_every_email_queued(
    worker: Worker, smtp_sink: Sink, small_disk: Path
) -> None:
    await two_emails(worker.app)
    filler = fill(small_disk)
    report = await worker.run()
    assert report is not None and report.journal_error is not None
    assert "No space left on device" in report.journal_error
    assert (report.claimed, report.sent, report.retrying, report.failed) == (2, 0, 2, 0)
    assert smtp_sink.recorder.received == []
    assert await outbox_status(worker.app.uow()) == {
        "queued": 2,
        "sending": 0,
        "sent": 0,
        "failed": 0,
    }
    worker.clock = NOW + timedelta(seconds=5)  # the loop tries again while the disk is full
    await worker.run()
    assert await alerts(worker.app) == ["DiskFull"]  # once, not once per attempt
    filler.unlink()
    worker.clock = NOW + timedelta(seconds=10)
    assert await worker.run() == BatchReport(2, 2, 0, 0)
    assert len(smtp_sink.recorder.received) == 2
    await worker.transport.close()
    worker.journal.close()


class FillsAfterFirst(FileJournal):
    """The real journal, on a disk that fills up after the first message of the batch began."""

    def __init__(self, folder: Path, worker: str) -> None:
        super().__init__(folder, worker)
        self.begun = 0

    def open_batch(self, mail_ids: Sequence[int]) -> None:
        super().open_batch(mail_ids)

    def began(self, mail_id: int) -> None:
        self.begun += 1
        if self.begun > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        super().began(mail_id)

    def finished(self, outcome: SendOutcome) -> None:
        super().finished(outcome)


async def test_a_disk_filling_mid_batch_sends_what_began_and_requeues_the_rest(
    case: App, smtp_sink: Sink, tmp_path: Path
) -> None:
    w = Worker(
        case,
        SmtpTransport(SmtpServer("127.0.0.1", smtp_sink.port), connections=1),
        FillsAfterFirst(tmp_path / "journal", "w1"),
    )
    w.transport.clock = lambda: w.clock
    await two_emails(case)
    report = await w.run()
    assert report is not None and (report.sent, report.retrying, report.failed) == (1, 1, 0)
    assert report.journal_error is not None and "No space left" in report.journal_error
    assert len(smtp_sink.recorder.received) == 1
    assert await outbox_status(case.uow()) == {"queued": 1, "sending": 0, "sent": 1, "failed": 0}
    assert await alerts(case) == ["DiskFull"]
    await w.transport.close()
    w.journal.close()


def test_the_disk_full_alert_names_no_pupil_and_offers_no_case_buttons() -> None:
    from datetime import date

    from bot.alerts.render import alert_view
    from bot.slack.blocks import alert_blocks
    from casework.records import PendingEvent

    event = PendingEvent(
        id="e1",
        kind="DiskFull",
        upn="",
        on=date(2025, 3, 10),
        payload={"worker": "w1", "error": "No space left (journal)", "left_queued": 2},
        created_at=NOW,
    )
    view = alert_view(event, None, None)
    assert view.urgent and view.pupil == "The service (no pupil)"
    assert "2 emails wait in the queue" in view.what_happened
    assert all(b["type"] != "actions" for b in alert_blocks(view))
