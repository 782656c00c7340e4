"""One unit of work per backend: the fake, and the real store on SQLite and on PostgreSQL.

Every test in tests/contract runs against each, so a fake cannot drift from the store it
stands for. The PostgreSQL half follows tests/conftest.py: skipped with the reason when the
server is unreachable, a failure under CI=true.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from attendance.consent import ConsentRecord
from casework.ports import Signer, UnitOfWork
from casework.records import ParentRow, PupilRow, SchoolRow
from store.db import make_engine
from store.signing import SigningKey, create_key
from store.uow import SqlUnitOfWork
from tests.conftest import truncate
from tests.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)
SCHOOL, OTHER_SCHOOL = "100001", "100002"
UPN, OTHER_UPN = "A123456789012", "B123456789013"


@pytest.fixture(params=["fake", "sqlite", "postgres"])
async def uow(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[UnitOfWork]:
    async for u in _backend(request, tmp_path, sqlite_template, None):
        yield u


@pytest.fixture(params=["fake", "sqlite", "postgres"])
async def signed_uow(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[tuple[UnitOfWork, SigningKey]]:
    """A unit of work whose audit entries are signed, and the key that signs them."""
    key = create_key(tmp_path / "signing-key.pem")
    async for u in _backend(request, tmp_path, sqlite_template, key):
        yield u, key


async def _backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, signer: Signer | None
) -> AsyncIterator[UnitOfWork]:
    if request.param == "fake":
        yield FakeUnitOfWork(signer)
        return
    if request.param == "sqlite":
        path = tmp_path / "contract.db"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        truncate(url)
    engine = make_engine(url)
    yield SqlUnitOfWork(engine, signer)
    await engine.dispose()


async def seed(uow: UnitOfWork) -> None:
    """Two schools, two pupils and three parents (P1 has a child at each school)."""
    async with uow:
        await uow.registry.upsert_schools(
            [
                SchoolRow(SCHOOL, "Riverside Primary", "Essex"),
                SchoolRow(OTHER_SCHOOL, "Hillside Academy", "Norfolk"),
            ]
        )
        await uow.registry.upsert_pupils(
            [
                PupilRow(UPN, "Sam", "Taylor", date(2015, 3, 1), SCHOOL, "5"),
                PupilRow(OTHER_UPN, "Kim", "Taylor", date(2013, 5, 2), OTHER_SCHOOL, "7"),
            ]
        )
        await uow.registry.upsert_parents(
            [
                ParentRow("P1", UPN, "Alex Taylor", "Alex@Example.org", "mother"),
                ParentRow("P1", OTHER_UPN, "Alex Taylor", "Alex@Example.org", "mother"),
                ParentRow("P2", UPN, "Jo Taylor", None, "father"),
                ParentRow("P3", OTHER_UPN, "Lee Moss", "lee@example.org", "carer"),
            ]
        )
        await uow.commit()


async def consent(uow: UnitOfWork, parent_id: str = "P1", email: str = "alex@example.org") -> int:
    async with uow:
        consent_id = await uow.consents.add(
            ConsentRecord(0, parent_id, email, "paper form", DAY, None, None), None, "office", NOW
        )
        await uow.commit()
    return consent_id
