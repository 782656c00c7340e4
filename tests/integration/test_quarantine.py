"""The quarantine on the real store (SQLite and PostgreSQL): staff attach a message that matched
no case, or dismiss it, with a reason; each act is audited and in the chronology, and a message
is triaged once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.consent import record_consent
from casework.errors import NotFound, Refused
from casework.events import MailQuarantined
from casework.inbound import Arrived, ReadHere, file_messages
from casework.quarantine import attach_message, dismiss_message, recently_triaged, waiting
from casework.records import InboundRecord, Triage
from casework.sending import send_letter
from casework.thresholds import daily_review
from mail.reading import read_message
from supportfirst.alerting import Alerts
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import HEAD, one_family

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
STRANGER = (
    b"From: Alex T <alex.new@example.net>\r\nTo: attendance@school.test\r\n"
    b"Subject: Sam is ill today\r\nMessage-ID: <ill-1@example.net>\r\n\r\nSam has a fever.\r\n"
)


async def arrive(app: App, raw: bytes) -> InboundRecord:
    [filed] = await file_messages(
        app.uow(), app.evidence(), ReadHere(read_message), [Arrived(raw, "INBOX")], NOW
    )
    assert filed.record.quarantined
    [record] = [r for r in await waiting(app.uow()) if r.sha256 == filed.record.sha256]
    return record


async def entries(app: App) -> list[tuple[str, str]]:
    async with app.uow() as uow:
        return [(e.kind, e.by) for e in await uow.cases.entries(b.UPN_1)]


async def actions(app: App) -> list[tuple[str, str]]:
    async with app.uow() as uow:
        return [(a.action, a.subject) for a in await uow.audit.all()]


@pytest.fixture
async def family(app: App) -> App:
    await one_family(app, NOW)
    return app


async def test_a_message_attached_with_its_parent_is_their_reply_and_raises_the_alert(
    family: App,
) -> None:
    m = await arrive(family, STRANGER)
    done = await attach_message(
        family.uow(), str(m.id), b.UPN_1, "mum's new address", "Ms Patel", LATER, "P1"
    )
    assert done.entry_kind == "parent_replied" and await waiting(family.uow()) == []
    assert (await entries(family))[-1] == ("parent_replied", "Ms Patel")
    assert (await actions(family))[-1] == ("mail.attached", f"pupil:{b.UPN_1}")
    async with family.uow() as uow:
        [filed] = await uow.mail.inbound(b.UPN_1)  # on the case: its page offers the download
        events = await uow.outbox.undelivered()
    assert (filed.triage, filed.triaged_by, filed.parent_id) == ("attached", "Ms Patel", "P1")
    assert not filed.quarantined and filed.triage_reason == "mum's new address"
    assert [(e.kind, e.payload["parent_id"]) for e in events] == [("ParentReplied", "P1")]


async def test_attached_without_a_parent_it_is_evidence_but_not_engagement(family: App) -> None:
    m = await arrive(family, STRANGER)
    await attach_message(family.uow(), "<ill-1@example.net>", b.UPN_1, "about Sam", "Ms P", LATER)
    assert (await entries(family))[-1] == ("mail_attached", "Ms P")
    async with family.uow() as uow:
        assert await uow.outbox.undelivered() == []
    assert [r.id for r in await recently_triaged(family.uow(), LATER)] == [m.id]


async def test_a_parent_of_another_pupil_or_no_reason_is_refused_and_nothing_changes(
    family: App,
) -> None:
    m = await arrive(family, STRANGER)
    with pytest.raises(Refused, match="not a parent of"):
        await attach_message(family.uow(), str(m.id), b.UPN_1, "why", "Ms P", LATER, "P9")
    with pytest.raises(Refused, match="--reason"):
        await attach_message(family.uow(), str(m.id), b.UPN_1, "  ", "Ms P", LATER)
    with pytest.raises(NotFound, match="no pupil"):
        await attach_message(family.uow(), str(m.id), "X999", "why", "Ms P", LATER)
    with pytest.raises(NotFound, match="no message 999"):
        await dismiss_message(family.uow(), "999", "spam", "Ms P", LATER)
    assert [r.id for r in await waiting(family.uow())] == [m.id]
    assert ("mail.attached", f"pupil:{b.UPN_1}") not in await actions(family)


async def test_a_message_is_triaged_once(family: App) -> None:
    m = await arrive(family, STRANGER)
    await dismiss_message(family.uow(), str(m.id), "a duplicate of the phone call", "Ms P", LATER)
    with pytest.raises(Refused, match="already dismissed by Ms P"):
        await attach_message(family.uow(), str(m.id), b.UPN_1, "why", "Mr Q", LATER)
    async with family.uow() as uow:
        assert not await uow.quarantine.settle(m.id, Triage.ATTACHED, "Mr Q", "x", LATER)
    assert (await actions(family))[-1] == ("mail.dismissed", f"mail:{m.id}")


async def test_dismissing_a_reply_from_a_stranger_to_our_email_is_on_that_case(
    family: App,
) -> None:
    form = ("form.pdf", b"%PDF-1.4 signed")
    await record_consent(
        family.uow(),
        family.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2025, 3, 1),
        "o",
        NOW,
        form,
    )
    await send_letter(
        family.uow(), family.mailroom(), "initial_concern", b.UPN_1, HEAD, NOW.date(), NOW
    )
    async with family.uow() as uow:
        [ours] = await uow.mail.emails_for(b.UPN_1)
    reply = STRANGER.replace(
        b"\r\n\r\n", f"\r\nIn-Reply-To: <{ours.message_id}>\r\n\r\n".encode(), 1
    )
    m = await arrive(family, reply)
    assert m.reason and "is not the address of parent P1" in m.reason
    done = await dismiss_message(family.uow(), str(m.id), "not the family", "Ms P", LATER)
    assert done.upn == b.UPN_1 and (await entries(family))[-1] == ("mail_dismissed", "Ms P")
    assert (await actions(family))[-1] == ("mail.dismissed", f"pupil:{b.UPN_1}")


async def test_the_daily_review_says_once_a_day_that_mail_waits_and_links_the_inbox(
    family: App, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinds_of_review(family, date(2025, 3, 10)) == []  # nothing waits yet
    await arrive(family, STRANGER)
    assert await kinds_of_review(family, date(2025, 3, 10)) == [("MailQuarantined", 1)]
    assert await kinds_of_review(family, date(2025, 3, 10)) == []  # once that day
    await Alerts(family).deliver()
    line = capsys.readouterr().out
    assert (
        line.startswith("ALERT MailQuarantined ")
        and '"link": "http://127.0.0.1:3000/inbox"' in line
    )
    assert await kinds_of_review(family, date(2025, 3, 11)) == [("MailQuarantined", 1)]


async def kinds_of_review(app: App, on: date) -> list[tuple[str, int]]:
    now = datetime.combine(on, NOW.time(), UTC)
    found = await daily_review(app.uow(), on, now)
    return [(e.kind, e.waiting) for e in found if isinstance(e, MailQuarantined)]
