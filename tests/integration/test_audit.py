"""The audit log is append-only and hash-chained: tampering is detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from casework.audit import GENESIS, entry_hash, verify_audit
from store.tables import AuditEntry
from supportfirst.bootstrap import App

NOW = datetime(2025, 3, 14, 16, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def chain(app: App) -> App:
    async with app.uow() as uow:
        for i in range(4):
            await uow.audit.append(
                "officer", "case.note", f"pupil:{i}", {"i": i}, NOW + timedelta(seconds=i)
            )
        await uow.commit()
    return app


async def sql(app: App, statement: str) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(text(statement))


async def test_an_untouched_chain_verifies(chain: App) -> None:
    report = await verify_audit(chain.uow(), verifier=chain.signing_key.public())
    assert report.ok and report.entries == 4 and report.head != GENESIS
    assert report.signed_from == 1


async def test_a_changed_entry_is_detected(chain: App) -> None:
    await sql(chain, "UPDATE audit_entry SET details = '{}' WHERE seq = 2")
    report = await verify_audit(chain.uow(), verifier=chain.signing_key.public())
    assert report.problems == ("entry 2: content changed since it was written",)


async def test_a_deleted_entry_is_detected(chain: App) -> None:
    await sql(chain, "DELETE FROM audit_entry WHERE seq = 2")
    problems = (await verify_audit(chain.uow(), verifier=chain.signing_key.public())).problems
    assert problems[0] == "entry 2: missing (next entry is 3)"


async def test_an_inserted_entry_is_detected_even_with_a_valid_own_hash(chain: App) -> None:
    await sql(chain, "UPDATE audit_entry SET seq = seq + 10 WHERE seq >= 3")
    at = NOW + timedelta(seconds=2)
    forged = entry_hash(3, at, "intruder", "case.note", "pupil:x", "{}", "f" * 64)
    async with chain.uow() as uow:
        uow.session.add(
            AuditEntry(
                seq=3,
                at=at,
                actor="intruder",
                action="case.note",
                subject="pupil:x",
                details="{}",
                prev_hash="f" * 64,
                hash=forged,
            )
        )
        await uow.commit()
    problems = (await verify_audit(chain.uow(), verifier=chain.signing_key.public())).problems
    assert "entry 3: does not follow the entry before it" in problems[0]


async def test_entries_cut_from_the_end_are_caught_with_the_recorded_head(chain: App) -> None:
    head = (await verify_audit(chain.uow(), verifier=chain.signing_key.public())).head
    await sql(chain, "DELETE FROM audit_entry WHERE seq = 4")
    assert (
        await verify_audit(chain.uow(), verifier=chain.signing_key.public())
    ).ok  # the chain alone cannot tell
    report = await verify_audit(chain.uow(), expect_head=head, verifier=chain.signing_key.public())
    assert not report.ok and "no longer in the chain" in report.problems[0]
