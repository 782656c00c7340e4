"""Early escalation tells the parents first (issue 11 point 6; casework/escalation.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.caselog import LogRequest, log_entry
from casework.checklist import checklist
from casework.errors import Refused
from casework.letters import letter_for
from casework.notices import issue_nti
from casework.penalties import agree_penalty, record_penalty
from casework.printed import record_delivery
from casework.sending import send_letter
from mail.letters import LetterRenderer
from tests import builders as b
from tests.fakes import FakeUnitOfWork
from tests.fakes_mail import fake_mailroom
from tests.unit.test_casework import case, load, marks_csv, uow  # noqa: F401, F811 (fixtures)

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
ISSUED, DELIVERED = date(2025, 3, 7), date(2025, 3, 7)
LATER = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
ON = date(2025, 3, 14)  # inside the improvement period


@pytest.fixture
async def served(case: FakeUnitOfWork) -> FakeUnitOfWork:  # noqa: F811
    """UPN_1's NTI issued on 7 March and handed to both parents that day."""
    await issue_nti(
        case, fake_mailroom(), b.UPN_1, "Ms Patel", "No further absence", ISSUED, 0, NOW
    )
    async with case:
        copies = await case.mail.printed_for(b.UPN_1)
    for copy in copies:
        await record_delivery(case, copy.id, "hand", DELIVERED, "Ms Patel", NOW)
    return case


def decision(**extra: str) -> LogRequest:
    return LogRequest(
        b.UPN_1,
        "decision",
        "Ms Patel",
        ON,
        "Ask the LA for a penalty notice",
        reason="Absent again after the notice",
        about="legal_intervention",
        **extra,  # type: ignore[arg-type]
    )


async def absent_again(fake: FakeUnitOfWork) -> None:
    await load(fake, "marks", marks_csv([date(2025, 3, 12)], date(2025, 3, 10), date(2025, 3, 14)))


async def tell_parents(fake: FakeUnitOfWork) -> None:
    await send_letter(
        fake, fake_mailroom(), "intend_legal_intervention", b.UPN_1, "Ms Patel", ON, LATER
    )
    async with fake:
        intend = [c for c in await fake.mail.printed_for(b.UPN_1) if c.template != "nti"]
    for copy in intend:
        await record_delivery(fake, copy.id, "hand", ON, "Ms Patel", LATER)


async def test_early_escalation_is_refused_until_each_parent_is_told(
    served: FakeUnitOfWork,
) -> None:
    await absent_again(served)
    with pytest.raises(Refused, match=r"serve the intend_legal_intervention letter on P1 \(Alex"):
        await log_entry(served, decision(), LATER)
    stage = LogRequest(
        b.UPN_1,
        "stage_changed",
        "Ms Patel",
        ON,
        "Refer",
        stage="legal_intervention_referral",
        reason="Earlier stages were tried before this system was used",
    )
    with pytest.raises(Refused, match="the move to legal_intervention_referral refused"):
        await log_entry(served, stage, LATER)
    await tell_parents(served)
    assert await log_entry(served, decision(), LATER) > 0
    items = {i.key: i for i in (await checklist(served, b.UPN_1, ON)).items}
    assert items["parents_told_first"].satisfied


async def test_delivering_the_intend_letter_does_not_serve_the_notice_again(
    served: FakeUnitOfWork,
) -> None:
    async with served:
        [before] = await served.cases.notices(b.UPN_1)
    await absent_again(served)
    await tell_parents(served)
    async with served:
        [after] = await served.cases.notices(b.UPN_1)
        deliveries = await served.cases.deliveries(after.id)
    assert (after.served_start, after.served_end) == (before.served_start, before.served_end)
    assert {d.deemed_received_on for d in deliveries} == {DELIVERED}


async def test_a_reason_instead_lets_it_through_and_the_checklist_shows_the_gap(
    served: FakeUnitOfWork,
) -> None:
    await absent_again(served)
    await log_entry(served, decision(parents_not_told="Father's whereabouts unknown"), LATER)
    item = {i.key: i for i in (await checklist(served, b.UPN_1, ON)).items}["parents_told_first"]
    assert not item.satisfied
    assert item.detail == (
        "2025-03-14 decision: parent P1, P2 not told first (Father's whereabouts unknown)"
    )


async def test_a_penalty_in_the_period_needs_the_parents_told(served: FakeUnitOfWork) -> None:
    await absent_again(served)
    await agree_penalty(served, "P1", b.UPN_1, ON, "Ms Patel", "LA ref 42", LATER)
    with pytest.raises(Refused, match="a penalty notice refused: the improvement period"):
        await record_penalty(served, "P1", b.UPN_1, ON, date(2025, 3, 3), "Ms Patel", LATER)
    await tell_parents(served)
    await record_penalty(served, "P1", b.UPN_1, ON, date(2025, 3, 3), "Ms Patel", LATER)


async def test_after_the_period_no_intend_letter_is_needed(served: FakeUnitOfWork) -> None:
    after = LogRequest(
        b.UPN_1,
        "decision",
        "Ms Patel",
        date(2025, 6, 2),
        "Refer",
        reason="Not improved",
        about="legal_intervention",
    )
    assert await log_entry(served, after, LATER) > 0


async def test_the_intend_letter_cites_further_absence_only_where_there_was_some(
    served: FakeUnitOfWork,
) -> None:
    renderer = LetterRenderer()
    staff = "Ms Patel"  # the fake school's HEAD, by name
    intend = "intend_legal_intervention"
    with pytest.raises(Refused, match="there are no grounds to tell the parents"):
        await letter_for(served, renderer, intend, b.UPN_1, "P1", staff, ON)
    refused = LogRequest(
        b.UPN_1,
        "engagement",
        "Ms Patel",
        date(2025, 3, 11),
        "Did not come to the review meeting",
        engaged=False,
    )
    await log_entry(served, refused, LATER)
    letter = await letter_for(served, renderer, intend, b.UPN_1, "P1", staff, ON)
    assert "further unauthorised absence" not in letter.text
    assert "- Did not come to the review meeting" in letter.text
    await absent_again(served)
    letter = await letter_for(served, renderer, intend, b.UPN_1, "P1", staff, ON)
    assert "has had further unauthorised absence since then\n(2 sessions since" in letter.text
