"""A unit of work that asks for a snapshot reads one moment to its end: on PostgreSQL (READ
COMMITTED by default) a commit made meanwhile by another process is not seen half-way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from casework.records import ParentRow
from store.db import make_engine
from store.uow import SqlUnitOfWork
from tests.conftest import truncate
from tests.contract.conftest import UPN, seed
from tests.fakes import FakeUnitOfWork


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[tuple[SqlUnitOfWork, SqlUnitOfWork]]:
    truncate(pg_url)
    engine = make_engine(pg_url)
    yield SqlUnitOfWork(engine), SqlUnitOfWork(engine)
    await engine.dispose()


async def parents(uow: SqlUnitOfWork) -> list[str]:
    return sorted(p.parent_id for p in await uow.registry.parents_of(UPN))


async def meanwhile_a_parent_is_added(uow: SqlUnitOfWork) -> None:
    async with uow:
        await uow.registry.upsert_parents([ParentRow("P9", UPN, "Sky Taylor", None, "carer")])
        await uow.commit()


@pytest.mark.parametrize("snapshot", [True, False])
async def test_a_snapshot_does_not_see_a_commit_made_meanwhile(
    pg: tuple[SqlUnitOfWork, SqlUnitOfWork], snapshot: bool
) -> None:
    reader, writer = pg
    await seed(writer)
    async with reader:
        if snapshot:
            await reader.snapshot()
        before = await parents(reader)
        await meanwhile_a_parent_is_added(writer)
        after = await parents(reader)
    assert before == ["P1", "P2"]
    assert after == (before if snapshot else ["P1", "P2", "P9"])  # without: the default shows it


async def test_the_fake_counts_the_snapshots_asked_for() -> None:
    uow = FakeUnitOfWork()
    async with uow:
        await uow.snapshot()
    assert uow.snapshots == 1
