"""Ports for issue 11's rules of law: what the age and penalty rules read."""

from __future__ import annotations

from datetime import date

import pytest

from attendance.penalty import PenaltyKind, PenaltyRecord, PenaltyState
from casework.ports import UnitOfWork
from tests.contract.conftest import OTHER_UPN, UPN, seed


async def test_a_penalty_notice_keeps_its_id_and_its_later_state(uow: UnitOfWork) -> None:
    await seed(uow)
    day = date(2025, 3, 20)
    async with uow:
        first = await uow.cases.add_penalty(
            PenaltyRecord("P1", UPN, PenaltyKind.ATTENDANCE, day, date(2025, 3, 3))
        )
        second = await uow.cases.add_penalty(
            PenaltyRecord("P2", UPN, PenaltyKind.ATTENDANCE, day, date(2025, 3, 3))
        )
        await uow.commit()
    assert first != second
    async with uow:
        await uow.cases.penalty_state_changed(first, PenaltyState.WITHDRAWN)
        await uow.cases.penalty_state_changed(second, PenaltyState.UNPAID)
        await uow.commit()
    async with uow:
        stored = await uow.cases.penalties_for(UPN)
        assert [(p.id, p.parent_id, p.state, p.withdrawn) for p in stored] == [
            (first, "P1", PenaltyState.WITHDRAWN, True),
            (second, "P2", PenaltyState.UNPAID, False),
        ]
        assert await uow.cases.penalties_for(OTHER_UPN) == []
        with pytest.raises(KeyError):
            await uow.cases.penalty_state_changed(9999, PenaltyState.PAID)
