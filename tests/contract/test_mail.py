"""The Mail port: queueing, claims, the named state changes of an email, printed letters,
and mail read from the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.ports import UnitOfWork
from casework.records import (
    Accepted,
    EmailRecord,
    EmailState,
    HowDelivered,
    InboundRecord,
    PrintedCopy,
    QueuedEmail,
    SendOutcome,
)
from tests.contract.conftest import DAY, NOW, UPN, consent, seed

LATER = NOW + timedelta(minutes=5)


def email(n: int, consent_id: int, notice_id: int | None = None) -> QueuedEmail:
    return QueuedEmail(
        message_id=f"<m{n}@school.test>",
        token=f"tok{n}",
        upn=UPN,
        parent_id="P1",
        consent_id=consent_id,
        template="initial_concern",
        notice_id=notice_id,
        formal=False,
        recipient="alex@example.org",
        envelope_from=f"attendance+bounce-tok{n}@school.test",
        sha256=f"{n:064d}",
        size=100 + n,
        queued_at=NOW,
        queued_by="office",
    )


async def queued(uow: UnitOfWork, count: int = 1) -> list[int]:
    await seed(uow)
    consent_id = await consent(uow)
    async with uow:
        ids = [await uow.mail.queue(email(n, consent_id)) for n in range(1, count + 1)]
        await uow.commit()
    return ids


async def the_email(uow: UnitOfWork, mail_id: int) -> EmailRecord:
    async with uow:
        found = await uow.mail.email_by_id(mail_id)
    assert found is not None
    return found


async def test_a_queued_email_reads_back_the_same_by_id_message_id_and_token(
    uow: UnitOfWork,
) -> None:
    [mail_id] = await queued(uow)
    async with uow:
        by_id = await uow.mail.email_by_id(mail_id)
        assert by_id is not None
        assert by_id.state is EmailState.QUEUED
        assert (by_id.attempts, by_id.claimed_by, by_id.sent_at) == (0, None, None)
        assert await uow.mail.email("m1@school.test") == by_id
        assert await uow.mail.email(" <m1@school.test> ") == by_id
        assert await uow.mail.email_by_token("TOK1") == by_id
        assert await uow.mail.email_by_id(mail_id + 99) is None
        assert await uow.mail.emails_for(UPN) == [by_id]
        assert await uow.mail.counts() == {"queued": 1}


async def test_a_claim_takes_due_emails_once_oldest_due_first_up_to_the_limit(
    uow: UnitOfWork,
) -> None:
    ids = await queued(uow, 3)
    async with uow:
        # The first one was refused for now: due again later than the others.
        [first] = await uow.mail.claim("w1", NOW, LATER, 1)
        await uow.mail.retry_later(
            SendOutcome(first.id, "temporary", NOW, 451, "try later"), "w1", 1, LATER
        )
        await uow.commit()
    async with uow:
        claimed = await uow.mail.claim("w1", LATER, LATER + timedelta(minutes=15), 2)
        assert [c.id for c in claimed] == [ids[1], ids[2]]
        assert [c.id for c in await uow.mail.claim("w2", LATER, LATER, 10)] == [ids[0]]
        assert await uow.mail.claim("w3", LATER, LATER, 10) == []
        await uow.commit()
    async with uow:
        assert [c.id for c in await uow.mail.claimed_by("w1", DAY)] == [ids[1], ids[2]]
        assert await uow.mail.counts() == {"sending": 3}
        assert {c.consent_in_force for c in claimed} == {True}
        assert (claimed[0].attempts, claimed[0].sha256) == (0, f"{2:064d}")


async def test_claims_past_their_lease_are_expired(uow: UnitOfWork) -> None:
    ids = await queued(uow, 2)
    async with uow:
        await uow.mail.claim("w1", NOW, NOW + timedelta(minutes=15), 1)
        await uow.mail.claim("w2", NOW, NOW + timedelta(hours=1), 1)
        await uow.commit()
    async with uow:
        expired = await uow.mail.expired_claims(NOW + timedelta(minutes=30))
    assert [(w, [c.id for c in cs]) for w, cs in expired] == [("w1", [ids[0]])]


async def test_a_claim_says_when_consent_was_withdrawn_since_queueing(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    async with uow:
        [record] = await uow.consents.for_parent("P1")
        await uow.consents.withdraw(record.id, DAY)
        [claimed] = await uow.mail.claim("w1", NOW, LATER, 10)
    assert (claimed.id, claimed.consent_in_force) == (mail_id, False)


async def test_mark_sent_keeps_the_reply_and_ends_the_claim(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    sent = SendOutcome(mail_id, "sent", LATER, 250, "2.0.0 Ok: queued as ABC", "ABC")
    async with uow:
        await uow.mail.claim("w1", NOW, LATER, 10)
        await uow.mail.mark_sent(Accepted(outcome=sent, attempts=1, deemed_received_on=DAY), "w1")
        await uow.commit()
    e = await the_email(uow, mail_id)
    assert (e.state, e.sent_at, e.attempts, e.smtp_code, e.smtp_text, e.queue_id) == (
        EmailState.SENT,
        LATER,
        1,
        250,
        "2.0.0 Ok: queued as ABC",
        "ABC",
    )
    assert (e.deemed_received_on, e.claimed_by, e.failed_at, e.failure) == (DAY, None, None, None)
    async with uow:
        assert await uow.mail.attempts(mail_id) == [
            SendOutcome(mail_id, "sent", LATER, 250, "2.0.0 Ok: queued as ABC")
        ]
        assert await uow.mail.claimed_by("w1", DAY) == []


async def test_record_sent_marks_a_batch_as_mark_sent_marks_one(uow: UnitOfWork) -> None:
    ids = await queued(uow, 3)
    outcomes = [SendOutcome(i, "sent", LATER, 250, f"ok {i}", f"Q{i}") for i in ids]
    async with uow:
        await uow.mail.claim("w1", NOW, LATER, 10)
        await uow.mail.record_sent(
            [Accepted(outcome=o, attempts=1, deemed_received_on=DAY) for o in outcomes[:2]], "w1"
        )
        await uow.mail.mark_sent(
            Accepted(outcome=outcomes[2], attempts=1, deemed_received_on=DAY), "w1"
        )
        await uow.commit()
    emails = [await the_email(uow, i) for i in ids]
    for e, o in zip(emails, outcomes, strict=True):
        assert (e.state, e.queue_id, e.smtp_text, e.claimed_by) == (
            "sent",
            o.queue_id,
            o.text,
            None,
        )
    async with uow:
        assert await uow.mail.counts() == {"sent": 3}
        assert await uow.mail.record_sent([], "w1") is None


async def test_retry_later_queues_it_again_not_due_until_then(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    async with uow:
        await uow.mail.claim("w1", NOW, LATER, 10)
        await uow.mail.retry_later(
            SendOutcome(mail_id, "temporary", NOW, 451, "greylisted"), "w1", 1, LATER
        )
        await uow.commit()
    e = await the_email(uow, mail_id)
    assert (e.state, e.attempts, e.smtp_code, e.smtp_text, e.claimed_by) == (
        EmailState.QUEUED,
        1,
        451,
        "greylisted",
        None,
    )
    async with uow:
        assert await uow.mail.claim("w2", LATER - timedelta(seconds=1), LATER, 10) == []
        assert [c.id for c in await uow.mail.claim("w2", LATER, LATER, 10)] == [mail_id]


async def test_mark_failed_keeps_the_reason_and_the_reply(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    refused = SendOutcome(mail_id, "permanent", LATER, 550, "no such user")
    async with uow:
        await uow.mail.claim("w1", NOW, LATER, 10)
        await uow.mail.mark_failed(refused, "w1", 1, "the mail server refused it")
        await uow.commit()
    e = await the_email(uow, mail_id)
    assert (e.state, e.failed_at, e.attempts, e.failure, e.smtp_code, e.smtp_text) == (
        EmailState.FAILED,
        LATER,
        1,
        "the mail server refused it",
        550,
        "no such user",
    )
    assert (e.sent_at, e.claimed_by) == (None, None)
    async with uow:
        assert await uow.mail.attempts(mail_id) == [refused]
        assert await uow.mail.claim("w2", LATER, LATER, 10) == []


async def test_requeue_puts_an_unbegun_claim_back_as_it_was(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    before = await the_email(uow, mail_id)
    async with uow:
        await uow.mail.claim("dead", NOW, LATER, 10)
        await uow.mail.requeue(SendOutcome(mail_id, "not_begun", LATER), "dead")
        await uow.commit()
    assert await the_email(uow, mail_id) == before
    async with uow:
        assert [o.outcome for o in await uow.mail.attempts(mail_id)] == ["not_begun"]
        assert [c.id for c in await uow.mail.claim("w2", NOW, LATER, 10)] == [mail_id]


async def test_what_is_not_committed_is_not_kept(uow: UnitOfWork) -> None:
    [mail_id] = await queued(uow)
    async with uow:
        await uow.mail.claim("w1", NOW, LATER, 10)
        await uow.mail.mark_failed(SendOutcome(mail_id, "permanent", NOW), "w1", 1, "no")
    assert (await the_email(uow, mail_id)).state == EmailState.QUEUED


def printed(n: int, notice_id: int | None = None) -> PrintedCopy:
    return PrintedCopy(
        UPN,
        "P2",
        "initial_concern",
        notice_id,
        f"{n:064d}",
        f"{n + 1:064d}",
        "application/pdf",
        NOW,
        "office",
    )


async def test_a_printed_letter_and_its_delivery(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        first = await uow.mail.add_printed(printed(1))
        second = await uow.mail.add_printed(printed(3))
        await uow.commit()
    async with uow:
        await uow.mail.printed_delivered(first, HowDelivered.HAND, DAY, "office", DAY)
        await uow.commit()
    async with uow:
        one, two = await uow.mail.printed_for(UPN)
        assert await uow.mail.printed(first) == one
        assert await uow.mail.printed(second + 99) is None
    assert one.id == first and two.id == second
    assert (one.delivered_how, one.delivered_on, one.delivered_by, one.deemed_received_on) == (
        HowDelivered.HAND,
        DAY,
        "office",
        DAY,
    )
    assert one.delivered_how is HowDelivered.HAND
    assert two == printed(3).__class__(**{**printed(3).__dict__, "id": second})


def inbound(n: int, message_id: str | None = None) -> InboundRecord:
    return InboundRecord(
        f"{n:064x}",
        10 * n,
        "INBOX",
        7,
        n,
        message_id,
        "alex@example.org",
        "Re: attendance",
        "reply",
        None,
        UPN if n % 2 else None,
        None,
        False,
        NOW,
    )


async def test_inbound_mail_is_stored_once_per_bytes(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        first = await uow.mail.add_inbound(inbound(1, "<r1@example.org>"))
        assert await uow.mail.add_inbound(inbound(1, "<again@example.org>")) is None
        second = await uow.mail.add_inbound(inbound(2))
        await uow.commit()
    assert first is not None and second is not None
    async with uow:
        everything = await uow.mail.inbound()
        assert [r.id for r in everything] == [first, second]
        assert [r.id for r in await uow.mail.inbound(UPN)] == [first]
        assert await uow.mail.inbound_by_message_id("<r1@example.org>") == everything[0]
        assert await uow.mail.inbound_by_message_id("<none@example.org>") is None
    assert everything[0] == InboundRecord(
        **{**inbound(1, "<r1@example.org>").__dict__, "id": first}
    )


@pytest.mark.parametrize("rounds", [1, 2])
async def test_mailbox_state_is_saved_and_replaced(uow: UnitOfWork, rounds: int) -> None:
    async with uow:
        assert await uow.mail.mailbox_state("INBOX") is None
        for n in range(rounds):
            await uow.mail.save_mailbox_state("INBOX", 7 + n, 40 + n, NOW)
        await uow.commit()
    async with uow:
        assert await uow.mail.mailbox_state("INBOX") == (7 + rounds - 1, 40 + rounds - 1)
