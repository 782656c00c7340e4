"""The Cases port's notice changes for service and outcomes (issue 11 points 4 and 5): the
period as served, the review's finding at the end, staff's decision, and reopening. The same
scenario runs against the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from casework.ports import UnitOfWork
from casework.records import NoticeStatus
from tests.contract.conftest import DAY
from tests.contract.test_cases import LATER, issued, notice

START, END = DAY + timedelta(days=4), DAY + timedelta(weeks=7)


async def test_an_unknown_notice_is_none_and_a_new_one_is_not_served(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        assert await uow.cases.notice(notice_id + 100) is None
        found = await uow.cases.notice(notice_id)
    assert found == replace(notice(), id=notice_id)
    assert (found.served_start, found.served_end, found.review_outcome) == (None, None, None)


async def test_the_period_as_served_is_kept_beside_the_planned_one(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_served(notice_id, START, END)
        await uow.commit()
    async with uow:
        found = await uow.cases.notice(notice_id)
        assert found is not None
        assert (found.served_start, found.served_end) == (START, END)
        assert (found.period_start, found.period_end) == (
            notice().period_start,
            notice().period_end,
        )
        await uow.cases.notice_served(notice_id, None, None)  # a bounce took service back
        await uow.commit()
    async with uow:
        found = await uow.cases.notice(notice_id)
    assert found is not None and (found.served_start, found.served_end) == (None, None)


async def test_an_undecided_end_closes_the_notice_and_keeps_the_finding(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_served(notice_id, START, END)
        await uow.cases.notice_ended(notice_id, NoticeStatus.UNDECIDED, LATER, 1)
        await uow.commit()
    async with uow:
        assert await uow.cases.notices(open_only=True) == []
        found = await uow.cases.notice(notice_id)
        assert found is not None
        assert (found.status, found.review_outcome, found.further_at_end, found.ended_on) == (
            NoticeStatus.UNDECIDED,
            "undecided",
            1,
            LATER,
        )
        await uow.cases.notice_decided(notice_id, NoticeStatus.IMPROVED, "Ms Patel", "ok", LATER)
        await uow.commit()
    async with uow:
        found = await uow.cases.notice(notice_id)
    assert found is not None
    assert (found.status, found.decided_by, found.decided_on, found.decision_reason) == (
        NoticeStatus.IMPROVED,
        "Ms Patel",
        LATER,
        "ok",
    )
    assert found.review_outcome == "undecided"  # the finding stays beside the decision


async def test_reopening_clears_the_end_the_finding_and_the_decision(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_served(notice_id, START, END)
        await uow.cases.notice_ended(notice_id, NoticeStatus.IMPROVED, LATER, 0)
        await uow.cases.notice_decided(notice_id, NoticeStatus.IMPROVED, "Ms Patel", "ok", LATER)
        await uow.cases.notice_reopened(notice_id, NoticeStatus.BREACHED)
        await uow.commit()
    async with uow:
        [open_one] = await uow.cases.notices(open_only=True)
    assert open_one.id == notice_id and open_one.status == NoticeStatus.BREACHED
    assert (open_one.ended_on, open_one.review_outcome, open_one.further_at_end) == (None,) * 3
    assert (open_one.decided_by, open_one.decided_on, open_one.decision_reason) == (None,) * 3
    assert (open_one.served_start, open_one.served_end) == (START, END)


async def test_a_withdrawn_notice_is_neither_open_nor_a_failed_one(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.notice_decided(
            notice_id, NoticeStatus.WITHDRAWN, "Ms Patel", "issued in error", DAY
        )
        await uow.commit()
    async with uow:
        assert await uow.cases.notices(open_only=True) == []
        assert await uow.cases.parents_with_failed_nti(["P1", "P2"]) == set()
        found = await uow.cases.notice(notice_id)
    assert found is not None and found.status == NoticeStatus.WITHDRAWN
