"""Issue 11 points 4 and 5 through the use cases, on SQLite and PostgreSQL: a notice runs only
once it is served on every parent; its outcome is decided on evidence, and by a person."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from casework.caselog import LogRequest, chronology, log_entry
from casework.checklist import checklist
from casework.consent import record_consent
from casework.errors import Refused
from casework.events import NtiBreached, NtiEnded, NtiNotServed, NtiReopened
from casework.notice_decisions import close_notice, withdraw_notice
from casework.notices import issue_nti
from casework.outgoing import claim_batch, record_batch
from casework.printed import record_delivery
from casework.records import NoticeRecord, SendOutcome
from casework.thresholds import daily_review
from supportfirst.bootstrap import App
from tests import builders as b
from tests.cases import enrol
from tests.integration.test_notices import WEEK, absent, load

NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
NTI_EVENTS = (NtiBreached, NtiEnded, NtiNotServed, NtiReopened)


@pytest.fixture
async def case(app: App) -> App:
    """Sam meets the threshold on Friday 7 March 2025: two parents, neither consented to email."""
    for kind, data in (
        ("schools", b.schools()),
        ("pupils", b.pupils(b.UPN_1)),
        ("parents", b.parents()),
        ("calendar", b.calendar()),
    ):
        await load(app, kind, data)
    await absent(app, WEEK)
    await enrol(app.uow)  # Ms Patel, who acts on the case
    return app


async def review(app: App, on: date) -> list[object]:
    return [e for e in await daily_review(app.uow(), on, NOW) if isinstance(e, NTI_EVENTS)]


async def issue(app: App, on: date = date(2025, 3, 7)) -> int:
    notice = await issue_nti(
        app.uow(),
        app.mailroom(),
        b.UPN_1,
        "Ms Patel",
        "No further unauthorised absence",
        on,
        0,
        NOW,
    )
    return notice.notice_id


async def deliver(
    app: App, how: str, on: date, parents: tuple[str, ...] = ("P1", "P2")
) -> list[str | None]:
    async with app.uow() as uow:
        copies = await uow.mail.printed_for(b.UPN_1)
    warnings = []
    for copy in copies:
        if copy.parent_id in parents and copy.delivered_on is None:
            done = await record_delivery(app.uow(), copy.id, how, on, "Ms Patel", NOW)
            warnings.append(done.warning)
    return warnings


async def notice(app: App, notice_id: int) -> NoticeRecord:
    async with app.uow() as uow:
        found = await uow.cases.notice(notice_id)
    assert found is not None
    return found


async def test_a_printed_notice_not_posted_runs_only_from_its_receipt(case: App) -> None:
    notice_id = await issue(case)
    await absent(case, ["2025-03-11"], start="2025-03-10", end="2025-03-12")
    # Not served: the absence on 11 March is no breach, and nothing ends.
    assert await review(case, date(2025, 3, 11)) == []
    # Three school days after issue (10, 11, 12 March) a parent is still unserved: once.
    assert await review(case, date(2025, 3, 12)) == [
        NtiNotServed(b.UPN_1, date(2025, 3, 12), notice_id, date(2025, 3, 7), ("P1", "P2"))
    ]
    assert await review(case, date(2025, 3, 13)) == []
    gap = {i.key: i for i in (await checklist(case.uow(), b.UPN_1, date(2025, 6, 30))).items}[
        "notice_to_improve"
    ]
    assert not gap.satisfied and "parent P1 (Alex Taylor) not served" in gap.detail

    # Posted first class on Thu 13 March: deemed received Mon 17th, the period starts Tue 18th.
    warnings = await deliver(case, "post", date(2025, 3, 13))
    assert warnings[0] is not None and "cannot start until parent P2" in warnings[0]
    assert warnings[1] is not None and "now runs 2025-03-18 to" in warnings[1]
    served = await notice(case, notice_id)
    assert (served.period_start, served.period_end) == (date(2025, 3, 10), date(2025, 5, 2))
    assert served.served_start == date(2025, 3, 18)
    # Same length: 6 school weeks from Tue 18 March (to a Monday), Easter's two weeks added.
    assert served.served_end == date(2025, 5, 12)
    gap = {i.key: i for i in (await checklist(case.uow(), b.UPN_1, date(2025, 6, 30))).items}[
        "notice_to_improve"
    ]
    assert gap.satisfied

    # The absence before the period started never counts; absence inside it is a breach.
    await absent(case, ["2025-03-19"], start="2025-03-13", end="2025-03-19")
    assert await review(case, date(2025, 3, 17)) == []
    assert await review(case, date(2025, 3, 19)) == [
        NtiBreached(b.UPN_1, date(2025, 3, 19), notice_id, 2, 0)
    ]
    kinds = [e.kind for e in (await chronology(case.uow(), b.UPN_1)).entries]
    assert kinds.count("nti_not_served") == 1 and kinds.count("nti_period") == 1


async def test_an_email_accepted_after_half_past_four_is_received_the_next_business_day(
    case: App,
) -> None:
    await record_consent(
        case.uow(),
        case.evidence(),
        "P1",
        "alex@example.org",
        "form",
        date(2025, 3, 3),
        "o",
        NOW,
        ("consent.pdf", b"%PDF-1.4 signed form"),
    )
    notice_id = await issue(case)
    await deliver(case, "hand", date(2025, 3, 7), parents=("P2",))
    # Accepted by the server at 16:45 on Friday 7 March (UK time): received Monday 10th.
    sent_at = datetime(2025, 3, 7, 16, 45, tzinfo=UTC)
    ready, _ = await claim_batch(case.uow(), "w1", sent_at, 10)
    assert len(ready) == 1
    await record_batch(
        case.uow(), "w1", ready, [SendOutcome(ready[0].id, "sent", sent_at, 250, "ok")]
    )
    served = await notice(case, notice_id)
    assert served.served_start == date(2025, 3, 11)  # the school day after Monday's receipt
    assert served.period_start == date(2025, 3, 10)  # the planned one is kept


async def issue_by_email_to_both(case: App) -> int:
    """Both parents consent to email: the notice goes to each as an email of its own."""
    for parent, address in (("P1", "alex@example.org"), ("P2", "jordan@example.org")):
        await record_consent(
            case.uow(),
            case.evidence(),
            parent,
            address,
            "form",
            date(2025, 3, 3),
            "o",
            NOW,
            ("consent.pdf", b"%PDF-1.4 signed form"),
        )
    return await issue(case)


EARLY, LATE = (datetime(2025, 3, 7, h, 30, tzinfo=UTC) for h in (12, 17))


async def test_both_parents_emails_in_one_batch_serve_the_notice_from_the_later_receipt(
    case: App,
) -> None:
    """The sender records a batch at once: a notice whose two emails are both in it is
    re-planned once, from the later receipt, with one chronology entry; while one of them is
    only retried later the notice is not served."""
    notice_id = await issue_by_email_to_both(case)
    ready, _ = await claim_batch(case.uow(), "w1", EARLY, 10)
    assert len(ready) == 2
    first, second = ready
    await record_batch(
        case.uow(),
        "w1",
        ready,
        [
            SendOutcome(first.id, "sent", EARLY, 250, "ok"),
            SendOutcome(second.id, "temporary", EARLY, 451, "try later"),
        ],
    )
    assert (await notice(case, notice_id)).served_start is None
    again, _ = await claim_batch(case.uow(), "w1", datetime(2025, 3, 8, tzinfo=UTC), 10)
    assert [c.id for c in again] == [second.id]
    await record_batch(case.uow(), "w1", again, [SendOutcome(second.id, "sent", LATE, 250, "ok")])
    served = await notice(case, notice_id)
    # Accepted at 17:30 on Friday: received Monday 10th, the period runs from Tuesday 11th.
    assert served.served_start == date(2025, 3, 11)
    kinds = [e.kind for e in (await chronology(case.uow(), b.UPN_1)).entries]
    assert kinds.count("nti_period") == 1


async def test_two_parents_accepted_in_one_batch_are_replanned_once(case: App) -> None:
    notice_id = await issue_by_email_to_both(case)
    ready, _ = await claim_batch(case.uow(), "w1", EARLY, 10)
    outcomes = [SendOutcome(ready[0].id, "sent", LATE, 250, "ok")]
    outcomes.append(SendOutcome(ready[1].id, "sent", EARLY, 250, "ok"))
    await record_batch(case.uow(), "w1", ready, outcomes)
    served = await notice(case, notice_id)
    assert served.served_start == date(2025, 3, 11)  # from the later (17:30) acceptance
    entries = [e for e in (await chronology(case.uow(), b.UPN_1)).entries if e.kind == "nti_period"]
    assert len(entries) == 1 and "served on every parent" in entries[0].summary


async def test_a_period_with_no_registers_ends_undecided_never_improved(case: App) -> None:
    notice_id = await issue(case)
    await deliver(case, "hand", date(2025, 3, 7))
    await absent(case, [], start="2025-03-10", end="2025-04-04")  # nothing after Easter
    [ended] = await review(case, date(2025, 5, 3))
    assert isinstance(ended, NtiEnded)
    assert (ended.outcome, ended.further_sessions) == ("undecided", 0)
    assert ended.reasons == (
        # Easter Monday (21 April) is a bank holiday, not a school day.
        "registers missing for 9 school days: 2025-04-22, 2025-04-23, 2025-04-24, "
        "2025-04-25, 2025-04-28 and 4 more",
    )
    assert (await notice(case, notice_id)).status == "undecided"


async def test_non_engagement_logged_in_the_period_leaves_it_undecided(case: App) -> None:
    notice_id = await issue(case)
    await deliver(case, "hand", date(2025, 3, 7))
    await absent(case, [], start="2025-03-10", end="2025-05-02")
    await log_entry(
        case.uow(),
        LogRequest(
            b.UPN_1, "engagement", "Ms Patel", date(2025, 3, 20), "No reply to calls", engaged=False
        ),
        NOW,
    )
    [ended] = await review(case, date(2025, 5, 3))
    assert isinstance(ended, NtiEnded) and ended.notice_id == notice_id
    assert ended.outcome == "undecided"
    assert ended.reasons == ("the parent's non-engagement was logged on 2025-03-20",)


async def test_a_correction_inside_an_ended_period_reopens_it(case: App) -> None:
    notice_id = await issue(case)
    await deliver(case, "hand", date(2025, 3, 7))
    await absent(case, [], start="2025-03-10", end="2025-05-02")
    [ended] = await review(case, date(2025, 5, 3))
    assert isinstance(ended, NtiEnded) and ended.outcome == "improved"
    await close_notice(
        case.uow(), notice_id, "improved", "Full attendance", "Ms Patel", date(2025, 5, 6), NOW
    )
    # The school corrects 28 April: the pupil was in fact absent, unauthorised.
    rows = [f"{b.UPN_1},{b.SCHOOL_A},2025-04-28,AM,O"]
    await load(case, "marks", b.csv_bytes(b.MARKS_HEADER, rows))
    assert await review(case, date(2025, 5, 7)) == [
        NtiReopened(b.UPN_1, date(2025, 5, 7), notice_id, 0, 1, "breached")
    ]
    reopened = await notice(case, notice_id)
    assert (reopened.status, reopened.decided_by, reopened.ended_on) == ("breached", None, None)
    entries = (await chronology(case.uow(), b.UPN_1)).entries
    [entry] = [e for e in entries if e.kind == "nti_reopened"]
    assert "no longer stands" in entry.summary
    # The next review finds it afresh: not improved.
    assert [type(e) for e in await review(case, date(2025, 5, 8))] == [NtiBreached, NtiEnded]
    assert await review(case, date(2025, 5, 9)) == []


async def test_close_is_refused_before_the_end_and_against_the_evidence_without_a_reason(
    case: App,
) -> None:
    notice_id = await issue(case)
    with pytest.raises(Refused, match="not served on every parent"):
        await close_notice(
            case.uow(), notice_id, "improved", "ok", "Ms Patel", date(2025, 3, 8), NOW
        )
    await deliver(case, "hand", date(2025, 3, 7))
    await review(case, date(2025, 3, 10))
    with pytest.raises(Refused, match="runs until 2025-05-02: it can be closed only after"):
        await close_notice(
            case.uow(), notice_id, "improved", "ok", "Ms Patel", date(2025, 4, 1), NOW
        )
    await absent(case, ["2025-04-28"], start="2025-03-10", end="2025-05-02")
    await review(case, date(2025, 5, 3))
    with pytest.raises(Refused, match="not improved .* say in --reason why, in at least 5"):
        await close_notice(
            case.uow(), notice_id, "improved", "Seems fine", "Ms Patel", date(2025, 5, 6), NOW
        )
    with pytest.raises(Refused, match="--outcome: 'undecided' is not one of"):
        await close_notice(
            case.uow(), notice_id, "undecided", "x", "Ms Patel", date(2025, 5, 6), NOW
        )
    reason = "The two sessions on 28 April were a hospital appointment, letter on file"
    decided = await close_notice(
        case.uow(), notice_id, "improved", reason, "Ms Patel", date(2025, 5, 6), NOW
    )
    assert (decided.status, decided.finding) == ("improved", "not_improved")
    with pytest.raises(Refused, match="was closed improved by Ms Patel on 2025-05-06"):
        await close_notice(
            case.uow(), notice_id, "not_improved", "again", "Ms Patel", date(2025, 5, 7), NOW
        )
    async with case.uow() as uow:
        [audited] = [a for a in await uow.audit.all() if a.action == "nti.closed"]
    assert json.loads(audited.details)["against_finding"] is True and audited.actor == "Ms Patel"
    [entry] = [e for e in (await chronology(case.uow(), b.UPN_1)).entries if e.kind == "nti_closed"]
    assert reason in entry.summary


async def test_a_withdrawn_notice_counts_for_nothing(case: App) -> None:
    notice_id = await issue(case)
    with pytest.raises(Refused, match="--reason: say why"):
        await withdraw_notice(case.uow(), notice_id, " ", "Ms Patel", date(2025, 3, 10), NOW)
    await withdraw_notice(
        case.uow(), notice_id, "Issued to the wrong family", "Ms Patel", date(2025, 3, 10), NOW
    )
    withdrawn = await notice(case, notice_id)
    assert (withdrawn.status, withdrawn.decision_reason) == (
        "withdrawn",
        "Issued to the wrong family",
    )
    item = {i.key: i for i in (await checklist(case.uow(), b.UPN_1, date(2025, 6, 30))).items}[
        "notice_to_improve"
    ]
    assert not item.satisfied and item.detail == "no Notice to Improve: record why none was used"
    assert await review(case, date(2025, 3, 12)) == []  # no NtiNotServed for it either
    with pytest.raises(Refused, match="was withdrawn on 2025-03-10"):
        await withdraw_notice(case.uow(), notice_id, "again", "Ms Patel", date(2025, 3, 11), NOW)
    async with case.uow() as uow:
        assert [a.action for a in await uow.audit.all()].count("nti.withdrawn") == 1
    kinds = [e.kind for e in (await chronology(case.uow(), b.UPN_1)).entries]
    assert "nti_withdrawn" in kinds
