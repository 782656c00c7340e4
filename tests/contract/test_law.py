"""Ports for issue 11's rules of law: what the age and penalty rules read."""

from __future__ import annotations

from datetime import date

from casework.ports import UnitOfWork
from tests.contract.conftest import OTHER_UPN, UPN, seed


async def test_dates_of_birth_are_read_in_one_call(uow: UnitOfWork) -> None:
    await seed(uow)
    async with uow:
        born = await uow.registry.dates_of_birth([UPN, OTHER_UPN, "Z1"])
    assert born == {UPN: date(2015, 3, 1), OTHER_UPN: date(2013, 5, 2)}
