"""The sender's rules on in-memory fakes: retries with backoff, giving up with an alert, and
when an emailed letter counts as received."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from attendance.consent import ConsentRecord
from attendance.service import email_deemed_received
from casework.outgoing import RETRY_DELAYS, apply_outcome, claim_batch
from casework.records import QueuedEmail, SendOutcome
from tests.fakes import FakeUnitOfWork

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


async def queued(uow: FakeUnitOfWork) -> None:
    async with uow:
        uow.consents.records.append(
            ConsentRecord(1, "P1", "alex@example.org", "form", date(2025, 3, 1))
        )
        await uow.mail.queue(
            QueuedEmail(
                "<m1@school.test>",
                "tok",
                "A123456789012",
                "P1",
                1,
                "initial_concern",
                None,
                False,
                "alex@example.org",
                "attendance+bounce-tok@school.test",
                "ab",
                10,
                NOW,
                "o",
            )
        )
        await uow.commit()


async def fail_temporarily(uow: FakeUnitOfWork, at: datetime) -> str:
    [c], _ = await claim_batch(uow, "w", at, 10)
    async with uow:
        state = await apply_outcome(uow, c, SendOutcome(c.id, "temporary", at, 451, "later"), "w")
        await uow.commit()
    return state


async def test_a_temporary_failure_is_retried_after_growing_delays_then_alerted() -> None:
    uow = FakeUnitOfWork()
    await queued(uow)
    at = NOW
    for delay in RETRY_DELAYS:
        assert await fail_temporarily(uow, at) == "queued"
        assert await claim_batch(uow, "w", at + delay - timedelta(seconds=1), 10) == ([], 0)
        at += delay
    assert await fail_temporarily(uow, at) == "failed"
    [email] = uow.mail.emails
    assert email.attempts == len(RETRY_DELAYS) + 1 and "gave up" in str(email.failure)
    assert [e.kind for e in uow.outbox.events] == ["EmailFailed"]


async def test_withdrawn_consent_fails_the_claim_without_sending() -> None:
    uow = FakeUnitOfWork()
    await queued(uow)
    async with uow:
        uow.consents.records[0] = ConsentRecord(
            1, "P1", "alex@example.org", "form", date(2025, 3, 1), withdrawn_on=date(2025, 3, 9)
        )
        await uow.commit()
    assert await claim_batch(uow, "w", NOW, 10) == ([], 1)
    assert uow.mail.emails[0].state == "failed"


def test_an_email_before_half_past_four_on_a_weekday_is_received_that_day() -> None:
    assert email_deemed_received(datetime(2025, 3, 10, 16, 29, tzinfo=UTC)) == date(2025, 3, 10)


def test_an_email_after_half_past_four_or_at_the_weekend_is_received_next_business_day() -> None:
    assert email_deemed_received(datetime(2025, 3, 10, 16, 30, tzinfo=UTC)) == date(2025, 3, 11)
    assert email_deemed_received(datetime(2025, 3, 14, 17, 0, tzinfo=UTC)) == date(2025, 3, 17)
    assert email_deemed_received(datetime(2025, 3, 15, 9, 0, tzinfo=UTC)) == date(2025, 3, 17)


def test_british_summer_time_moves_the_cut_off_an_hour_earlier_in_utc() -> None:
    # 16:00 UTC on 2 June is 17:00 in London: after the cut-off
    assert email_deemed_received(datetime(2025, 6, 2, 16, 0, tzinfo=UTC)) == date(2025, 6, 3)
