"""The use cases in casework/, on the in-memory unit of work (tests/fakes.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from casework.addresses import record_address_check
from casework.audit import verify_chain
from casework.caselog import LogRequest, log_entry
from casework.checklist import checklist
from casework.errors import ImportRejected, NotFound, Refused
from casework.events import ThresholdMet
from casework.imports import ImportSummary, import_csv
from casework.notices import issue_nti
from casework.penalties import agree_penalty, check_penalty, record_penalty
from casework.printed import record_delivery
from casework.records import Delivery, NoticeRecord
from casework.thresholds import daily_review, daily_review_once
from tests import builders as b
from tests.fakes import FakeUnitOfWork
from tests.fakes_mail import fake_mailroom

NOW = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
WEEK = [date(2025, 3, d) for d in range(3, 8)]  # Mon 3 - Fri 7 March 2025


async def load(uow: FakeUnitOfWork, kind: str, data: bytes) -> ImportSummary:
    return await import_csv(uow, kind, f"{kind}.csv", data, "officer", NOW)


def marks_csv(
    absent_days: list[date] = WEEK, start: date = date(2025, 2, 24), end: date = date(2025, 3, 7)
) -> bytes:
    """UPN_1 present every school session from start to end, except `O` on absent_days."""
    gone = [(d, s) for d in absent_days for s in ("AM", "PM")]
    return b.csv_bytes(b.MARKS_HEADER, b.marks(b.UPN_1, start, end, absent=gone, code="O"))


@pytest.fixture
async def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    await load(fake, "schools", b.schools())
    await load(fake, "pupils", b.pupils(b.UPN_1))
    await load(fake, "calendar", b.calendar())
    return fake


@pytest.fixture
async def case(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """UPN_1 with two parents and 10 unauthorised sessions in the week of 3 March."""
    await load(uow, "parents", b.parents())
    await load(uow, "marks", marks_csv())
    return uow


# import_csv


async def test_a_rejected_file_commits_nothing(uow: FakeUnitOfWork) -> None:
    before = uow.state()
    bad = b.csv_bytes(b.MARKS_HEADER, [f"{b.UPN_2},{b.SCHOOL_A},2025-03-03,AM,O"])
    with pytest.raises(ImportRejected, match="marks.csv:2: upn: unknown pupil"):
        await load(uow, "marks", bad)
    assert uow.committed is False
    assert uow.state() == before


async def test_reimporting_the_same_marks_changes_nothing(case: FakeUnitOfWork) -> None:
    before = case.state()
    summary = await load(case, "marks", marks_csv())
    assert summary.changed == 0
    assert case.committed is False
    assert case.state() == before


async def test_a_corrected_mark_replaces_the_old_one_with_an_audit_entry(
    case: FakeUnitOfWork,
) -> None:
    summary = await load(case, "marks", marks_csv(absent_days=WEEK[1:]))
    assert summary.changed == 2  # Monday's AM and PM, O -> present
    last = case.audit.entries[-1]
    assert (last.action, last.subject) == ("marks.corrected", f"mark:{b.UPN_1}:2025-03-03:PM")
    assert json.loads(last.details)["old"] == {"code": "O", "school_urn": b.SCHOOL_A}
    assert verify_chain(case.audit.entries).ok


# log_entry


def request(kind: str, **fields: Any) -> LogRequest:
    return LogRequest(b.UPN_1, kind, "Ms Patel", date(2025, 3, 10), "What happened", **fields)


async def test_a_stage_change_that_skips_stages_needs_a_reason(uow: FakeUnitOfWork) -> None:
    await log_entry(uow, request("stage_changed", stage="attendance_policy"), NOW)
    with pytest.raises(Refused, match="skips absence_call_back"):
        await log_entry(uow, request("stage_changed", stage="notice_to_improve"), NOW)
    assert uow.committed is False
    reason = "Parents declined every meeting offered"
    await log_entry(uow, request("stage_changed", stage="notice_to_improve", reason=reason), NOW)
    assert uow.cases.case_entries[-1].details["skipped"][0] == "absence_call_back"


async def test_a_meeting_must_list_the_ways_to_meet_offered(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Refused, match="ways to meet"):
        await log_entry(uow, request("meeting"), NOW)
    await log_entry(uow, request("meeting", ways_offered=("phone", "home_visit")), NOW)
    assert uow.cases.case_entries[-1].details["ways_offered"] == ["phone", "home_visit"]


async def test_an_attendance_contract_cannot_be_agreed_without_the_parents(
    uow: FakeUnitOfWork,
) -> None:
    with pytest.raises(Refused, match="parents are not present"):
        await log_entry(uow, request("contract", agreed=True, parents_present=False), NOW)
    await log_entry(uow, request("contract", agreed=True, parents_present=True), NOW)
    assert uow.cases.case_entries[-1].details == {"agreed": True, "parents_present": True}


async def test_logging_for_an_unknown_pupil_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match=b.UPN_2):
        await log_entry(uow, LogRequest(b.UPN_2, "note", "Ms Patel", NOW.date(), "Hi"), NOW)
    assert uow.cases.case_entries == []


# issue_nti


async def nti(uow: FakeUnitOfWork, on: date = date(2025, 3, 7)) -> list[str]:
    notice = await issue_nti(
        uow, fake_mailroom(), b.UPN_1, "Ms Patel", "No further absence", on, 0, NOW
    )
    return list(notice.warnings)


async def test_an_nti_is_refused_below_the_threshold_and_nothing_is_stored(
    case: FakeUnitOfWork,
) -> None:
    with pytest.raises(Refused, match="not met on 2025-03-05: 6 unauthorised"):
        await nti(case, date(2025, 3, 5))
    assert case.committed is False
    assert case.cases.notice_rows == {} and case.outbox.events == []


async def test_an_nti_warns_about_a_parent_whose_earlier_nti_failed(case: FakeUnitOfWork) -> None:
    d = date(2024, 10, 1)
    failed = NoticeRecord(0, b.UPN_1, "Essex", d, "x", "x", 0, 10, d, d, d, "not_improved")
    async with case:
        await case.cases.add_notice(failed, [Delivery("P1", "post", "posted")])
        await case.commit()
    assert [w[:30] for w in await nti(case)] == [
        "parent P1 already had a Notice",
        f"no support has been logged for {b.UPN_1}"[:30],
        "no support was named as still available"[:30],
    ]
    assert len(case.cases.notice_rows) == 2


async def test_an_nti_is_refused_when_no_parents_are_on_record(uow: FakeUnitOfWork) -> None:
    await load(uow, "marks", marks_csv())
    with pytest.raises(Refused, match="no parents on record"):
        await nti(uow)
    assert uow.cases.notice_rows == {}


# daily_review


async def threshold_met(uow: FakeUnitOfWork, on: date) -> list[date]:
    return [e.on for e in await daily_review(uow, on, NOW) if isinstance(e, ThresholdMet)]


async def test_threshold_met_is_raised_once_per_episode(case: FakeUnitOfWork) -> None:
    assert await threshold_met(case, date(2025, 3, 7)) == [date(2025, 3, 7)]
    assert await threshold_met(case, date(2025, 3, 7)) == []
    assert await threshold_met(case, date(2025, 3, 10)) == []
    assert [type(e) for e in case.outbox.events] == [ThresholdMet]


async def test_threshold_met_is_raised_again_after_dropping_below_and_meeting_it_later(
    case: FakeUnitOfWork,
) -> None:
    june = [date(2025, 6, d) for d in range(9, 14)]
    await load(case, "marks", marks_csv(june, start=date(2025, 3, 10), end=date(2025, 6, 13)))
    assert await threshold_met(case, date(2025, 3, 7)) == [date(2025, 3, 7)]
    assert await threshold_met(case, date(2025, 6, 2)) == []  # 10 school weeks on: 0 sessions
    assert await threshold_met(case, date(2025, 6, 13)) == [date(2025, 6, 13)]
    assert [e.on for e in case.outbox.events] == [date(2025, 3, 7), date(2025, 6, 13)]


async def test_the_review_run_once_a_day_skips_a_day_already_reviewed(
    case: FakeUnitOfWork,
) -> None:
    first = await daily_review_once(case, date(2025, 3, 7), NOW)
    assert [type(e) for e in first or []] == [ThresholdMet]
    assert await daily_review_once(case, date(2025, 3, 7), NOW) is None
    assert await daily_review(case, date(2025, 3, 7), NOW) == []  # staff may always re-run
    assert await daily_review_once(case, date(2025, 3, 10), NOW) == []  # the next day runs
    assert set(case.cases.review_runs) == {date(2025, 3, 7), date(2025, 3, 10)}


# record_penalty / check_penalty

ON = date(2025, 3, 10)


async def agree(uow: FakeUnitOfWork, parent: str, on: date = date(2025, 3, 8)) -> None:
    await agree_penalty(uow, parent, b.UPN_1, on, "LA officer", "email of 8 March", NOW)


@pytest.fixture
async def agreed(case: FakeUnitOfWork) -> FakeUnitOfWork:
    """The case, with the LA's agreement to a penalty for each parent recorded on 8 March."""
    await agree(case, "P1")
    await agree(case, "P2")
    return case


async def penalty(uow: FakeUnitOfWork, parent: str = "P1") -> tuple[int, int | None, int | None]:
    d = await record_penalty(uow, parent, b.UPN_1, ON, date(2025, 2, 24), "Ms Patel", NOW)
    return d.ordinal, d.amount_if_paid_early, d.amount


async def test_a_first_penalty_is_80_or_160_and_a_second_160_flat(agreed: FakeUnitOfWork) -> None:
    case = agreed
    first = await check_penalty(case, "P1", b.UPN_1, ON)
    assert (first.ordinal, first.amount_if_paid_early, first.amount) == (1, 80, 160)
    assert await penalty(case) == (1, 80, 160)
    assert await penalty(case) == (2, 160, 160)
    assert len(case.cases.penalty_notices) == 2


async def test_a_third_penalty_within_3_years_is_refused(agreed: FakeUnitOfWork) -> None:
    case = agreed
    await penalty(case)
    await penalty(case)
    with pytest.raises(Refused, match="third penalty notice"):
        await penalty(case)
    assert case.committed is False
    assert len(case.cases.penalty_notices) == 2


async def test_another_parent_of_the_same_child_can_still_get_a_first(
    agreed: FakeUnitOfWork,
) -> None:
    case = agreed
    await penalty(case, "P1")
    await penalty(case, "P1")
    assert (await check_penalty(case, "P2", b.UPN_1, ON)).ordinal == 1
    assert await penalty(case, "P2") == (1, 80, 160)


async def test_a_first_stage_past_the_routine_ones_needs_a_reason(uow: FakeUnitOfWork) -> None:
    request = LogRequest(
        b.UPN_1,
        "stage_changed",
        "Ms Patel",
        date(2025, 3, 3),
        "Formal stage",
        stage="attendance_contract",
    )
    with pytest.raises(Refused, match="skips initial_concern, early_help"):
        await log_entry(uow, request, NOW)
    early = LogRequest(
        b.UPN_1, "stage_changed", "Ms Patel", date(2025, 3, 3), "Concern", stage="initial_concern"
    )
    assert await log_entry(uow, early, NOW) > 0


# the pre-referral checklist


def entry(kind: str, **fields: Any) -> LogRequest:
    summary = fields.pop("summary", f"{kind} logged")
    return LogRequest(b.UPN_1, kind, "Ms Patel", date(2025, 3, 3), summary, **fields)


FULL_CASE = [
    entry("contact"),
    entry("support_offered"),
    entry("engagement", engaged=False),
    entry("decision", about="attendance_contract", reason="Parents did not attend the meeting"),
    entry("decision", about="notice_to_improve", reason="No behavioural impact expected"),
    entry("service", service="lets_talk", used=True),
    entry("service", service="early_help_drop_in", used=False, reason="Family declined"),
    entry("service", service="taf", used=True),
    entry("meeting", ways_offered=("phone", "home_visit")),
    entry("view", role="senior_attendance_champion", supports=True),
    entry("view", role="senco", supports=True),
    entry("view", role="dsl", supports=True),
    entry("siblings", summary="No siblings at other schools", checked=True),
    entry("circumstances", summary="No change of address"),
]


async def test_a_case_with_everything_logged_is_ready_but_for_letters_and_parents(
    uow: FakeUnitOfWork,
) -> None:
    for request in FULL_CASE:
        await log_entry(uow, request, NOW)
    result = await checklist(uow, b.UPN_1, date(2025, 3, 10))
    assert [i.key for i in result.items if not i.satisfied] == ["letters", "address_checked"]
    assert {i.key: i.detail for i in result.items}["address_checked"] == "no parents on record"
    assert not result.ready


async def test_a_service_not_used_needs_its_reason(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Refused, match="why the service was not used"):
        await log_entry(uow, entry("service", service="taf", used=False), NOW)
    with pytest.raises(Refused, match="--service: 'tea' is not one of"):
        await log_entry(uow, entry("service", service="tea", used=True), NOW)


async def test_an_issued_nti_counts_as_a_letter_and_the_nti_on_file(case: FakeUnitOfWork) -> None:
    for request in FULL_CASE:
        await log_entry(case, request, NOW)
    await issue_nti(
        case, fake_mailroom(), b.UPN_1, "Ms Patel", "No further absence", date(2025, 3, 7), 0, NOW
    )
    # Printed and not yet handed over: no evidence it reached either parent.
    result = await checklist(case, b.UPN_1, date(2025, 3, 10))
    assert not result.ready
    detail = {i.key: i.detail for i in result.items}["notice_to_improve"]
    assert detail == (
        "no evidence it reached each parent: notice 1: parent P1 (Alex Taylor) not served; "
        "notice 1: parent P2 (Jo Taylor) not served"
    )
    async with case:
        copies = await case.mail.printed_for(b.UPN_1)
    for copy in copies:
        await record_delivery(case, copy.id, "hand", date(2025, 3, 7), "Ms Patel", NOW)
    result = await checklist(case, b.UPN_1, date(2025, 3, 10))
    assert [i.key for i in result.items if not i.satisfied] == ["address_checked"]
    for parent in ("P1", "P2"):
        await record_address_check(case, parent, date(2025, 3, 7), "Ms Patel", NOW)
    result = await checklist(case, b.UPN_1, date(2025, 3, 10))
    assert result.ready
    # Six months and a day later the checks are stale: the case is not ready any more.
    assert not (await checklist(case, b.UPN_1, date(2025, 9, 8))).ready
    assert {i.key: i.detail for i in result.items}["notice_to_improve"] == "on file"
