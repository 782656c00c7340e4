"""Cases.change_notices: a day's notice changes written at once leave each notice as the
changes made one at a time would (the daily review's ends, breaches and periods). The same
scenario runs against the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from casework.notice_changes import NoticeWrites
from casework.ports import UnitOfWork
from casework.records import NoticeRecord, NoticeStatus
from tests.contract.test_cases import DELIVERIES, LATER, issued, notice
from tests.contract.test_notice_states import END, START

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def _another(uow: UnitOfWork) -> int:
    async with uow:
        notice_id = await uow.cases.add_notice(notice(), DELIVERIES)
        await uow.commit()
    return notice_id


async def _found(uow: UnitOfWork, notice_id: int) -> NoticeRecord:
    async with uow:
        found = await uow.cases.notice(notice_id)
    assert found is not None
    return replace(found, id=0)


async def test_changes_at_once_leave_each_notice_as_one_at_a_time(uow: UnitOfWork) -> None:
    one_by_one, ended, served_only, reopened = (
        await issued(uow),
        await _another(uow),
        await _another(uow),
        await _another(uow),
    )
    async with uow:
        await uow.cases.notice_served(one_by_one, START, END)
        await uow.cases.notice_breached(one_by_one, LATER)
        await uow.cases.notice_ended(one_by_one, NoticeStatus.NOT_IMPROVED, LATER, 3)
        await uow.cases.notice_ended(reopened, NoticeStatus.IMPROVED, LATER, 0)
        await uow.commit()
    writes = NoticeWrites(NOW)
    writes.served(ended, START, END)
    writes.breached(ended, LATER)
    writes.ended(ended, NoticeStatus.NOT_IMPROVED, LATER, 3)
    writes.served(served_only, START, END)
    writes.reopened(reopened, NoticeStatus.BREACHED)
    async with uow:
        await uow.cases.notice(ended)  # held by the unit of work before the change
        await uow.cases.change_notices(writes.changes)
        assert (await uow.cases.notice(ended)) == replace(
            await uow.cases.notice(one_by_one) or notice(), id=ended
        )
        await uow.commit()
    assert await _found(uow, ended) == await _found(uow, one_by_one)
    assert (await _found(uow, ended)).status == NoticeStatus.NOT_IMPROVED
    assert await _found(uow, served_only) == replace(notice(), served_start=START, served_end=END)
    back = await _found(uow, reopened)
    assert (back.status, back.ended_on, back.review_outcome, back.further_at_end) == (
        NoticeStatus.BREACHED,
        None,
        None,
        None,
    )


async def test_no_changes_write_nothing(uow: UnitOfWork) -> None:
    notice_id = await issued(uow)
    async with uow:
        await uow.cases.change_notices([])
        await uow.commit()
    assert await _found(uow, notice_id) == notice()
